import type { Tx } from '../../db/index.js';
import type { StaffActor } from '../../policy/index.js';
import type { ImportRow } from './import-row.js';
import {
  type Field,
  type ImportPreview,
  incomingValues,
  loadExisting,
  type PlannedUpdate,
  planImport,
  type PlanSink,
} from './import-plan.js';
import type * as q from './queries.js';
import { assertLeaversConfirmed, registrationGroups } from './import-roll.js';

/**
 * Confirm: plans the file again against the records as they are now and writes each row as it is
 * planned (in batches), all in the caller's one transaction. Only a small batch of rows is in
 * memory at a time. If the fresh plan differs from the preview the school confirmed (records
 * changed since, so the fingerprint differs) it throws `StalePreview` with the fresh preview, and
 * the transaction rolls back: nothing is written.
 */

export interface ConfirmOptions {
  fingerprint: string;
  overwriteConflicts: boolean;
  leavers: { leaving_date: string; leaving_reason: string } | null;
  /** What was typed to confirm marking most of the school as left (`mostOfSchoolLeaves`). */
  typedLeaverCount?: string | undefined;
}

export interface ImportSummary {
  created: number;
  updated: number;
  unchanged: number;
  conflictsKept: number;
  conflictsOverwritten: number;
  restrictedSkipped: number;
  leaversMarked: number;
  /** Classes made for registration groups the school did not have (absent from older summaries). */
  groupsCreated?: number;
}

export class StalePreview extends Error {
  constructor(readonly preview: ImportPreview) {
    super('the import plan changed since the preview');
  }
}

function typed(field: Field, value: string | null): unknown {
  if (value === null) return null;
  if (field === 'eal' || field === 'looked_after' || field === 'service_child') return value === 'Y';
  if (field === 'attendance_percent') return Number(value);
  return value;
}

const createBatch = 500;
const snapshotBatch = 1000;
const historyBatch = 2000;

type History = q.HistoryEntry & { pupil_id: string };

export async function applyImport(
  trx: Tx,
  staff: StaffActor,
  file: { content: Buffer; mode: 'update' | 'full' },
  options: ConfirmOptions,
): Promise<ImportSummary> {
  const schoolId = staff.schoolId;
  const now = new Date();
  const snapshot = (row: ImportRow) => JSON.stringify(incomingValues(row));
  let creates: ImportRow[] = [];
  let unchanged: { mis_id: string; snap: unknown }[] = [];
  let history: History[] = [];
  const summary: ImportSummary = {
    created: 0,
    updated: 0,
    unchanged: 0,
    conflictsKept: 0,
    conflictsOverwritten: 0,
    restrictedSkipped: 0,
    leaversMarked: 0,
    groupsCreated: 0,
  };
  const classes = registrationGroups(trx, staff, () => {
    summary.groupsCreated = (summary.groupsCreated ?? 0) + 1;
  });

  const flushHistory = async (all = false) => {
    while (history.length >= historyBatch || (all && history.length)) {
      const batch = history.slice(0, historyBatch);
      history = history.slice(historyBatch);
      await trx('pupil_history').insert(batch.map((h) => ({ ...h, school_id: schoolId })));
    }
  };
  const flushCreates = async () => {
    if (!creates.length) return;
    const batch = creates;
    creates = [];
    const inserted: { id: string; mis_id: string }[] = await trx('pupils')
      .insert(
        batch.map((row) => ({
          ...row.record,
          ...(row.leaving ?? {}),
          school_id: schoolId,
          mis_snapshot: snapshot(row),
          last_imported_at: now,
        })),
      )
      .returning(['id', 'mis_id']);
    const idOf = new Map(inserted.map((r) => [r.mis_id, r.id]));
    const periods = batch.flatMap((row) =>
      row.fsm.map((f) => ({ ...f, school_id: schoolId, pupil_id: idOf.get(row.record.mis_id)! })),
    );
    if (periods.length) await trx('pupil_fsm_periods').insert(periods);
    const members: { school_id: string; group_id: string; pupil_id: string }[] = [];
    for (const row of batch)
      if (row.registrationGroup)
        members.push({
          school_id: schoolId,
          group_id: await classes.idOf(row.registrationGroup, row.record.year_group),
          pupil_id: idOf.get(row.record.mis_id)!,
        });
    if (members.length) await trx('group_members').insert(members);
    for (const row of batch)
      history.push({
        pupil_id: idOf.get(row.record.mis_id)!,
        field: 'record',
        old_value: null,
        new_value: 'created by MIS import',
        source: 'import',
        changed_by: staff.userId,
      });
    await flushHistory();
  };
  // Unchanged pupils: only remember what the MIS said, for the next import's comparison.
  const flushUnchanged = async () => {
    if (!unchanged.length) return;
    const batch = unchanged;
    unchanged = [];
    await trx.raw(
      `update pupils p set mis_snapshot = v.snap, last_imported_at = ? from jsonb_to_recordset(?::jsonb) as v(mis_id text, snap jsonb)
        where p.school_id = ? and p.mis_id = v.mis_id and p.mis_snapshot is distinct from v.snap`,
      [now, JSON.stringify(batch), schoolId],
    );
  };

  const sink: PlanSink = {
    async create(row) {
      summary.created++;
      creates.push(row);
      if (creates.length >= createBatch) await flushCreates();
    },
    async update(u: PlannedUpdate) {
      const apply = options.overwriteConflicts ? [...u.changes, ...u.conflicts] : u.changes;
      if (options.overwriteConflicts) summary.conflictsOverwritten += u.conflicts.length;
      else summary.conflictsKept += u.conflicts.length;
      if (apply.length) summary.updated++;
      const values = Object.fromEntries(
        apply
          .filter((c) => c.field !== 'fsm_periods' && c.field !== 'registration_group')
          .map((c) => [c.field, typed(c.field, c.to)]),
      );
      await trx('pupils')
        .where({ id: u.pupil.id })
        .update({
          ...values,
          mis_snapshot: snapshot(u.row),
          last_imported_at: now,
          ...(apply.length ? { version: u.pupil.version + 1, updated_at: now } : {}),
        });
      if (apply.some((c) => c.field === 'fsm_periods')) {
        await trx('pupil_fsm_periods').where({ pupil_id: u.pupil.id }).del();
        if (u.row.fsm.length)
          await trx('pupil_fsm_periods').insert(
            u.row.fsm.map((f) => ({ ...f, school_id: schoolId, pupil_id: u.pupil.id })),
          );
      }
      const moved = apply.find((c) => c.field === 'registration_group');
      if (moved?.to) await classes.move(u.pupil.id, moved.to, u.row.record.year_group);
      for (const c of apply)
        history.push({
          pupil_id: u.pupil.id,
          field: c.field,
          old_value: c.from,
          new_value: c.to,
          source: 'import',
          changed_by: staff.userId,
        });
      await flushHistory();
    },
    async unchanged(row) {
      summary.unchanged++;
      unchanged.push({ mis_id: row.record.mis_id, snap: incomingValues(row) });
      if (unchanged.length >= snapshotBatch) await flushUnchanged();
    },
  };

  const { preview, leavers } = await planImport(() => loadExisting(trx, schoolId), file.content, file.mode, sink);
  if (preview.fatal || preview.errors.total || preview.fingerprint !== options.fingerprint)
    throw new StalePreview(preview);
  assertLeaversConfirmed(preview, options);
  await flushCreates();
  await flushUnchanged();
  if (options.leavers) {
    for (const pupil of leavers) {
      await trx('pupils')
        .where({ id: pupil.id })
        .update({ ...options.leavers, version: pupil.version + 1, updated_at: now });
      history.push({
        pupil_id: pupil.id,
        field: 'leaving_date',
        old_value: pupil.leaving_date,
        new_value: options.leavers.leaving_date,
        source: 'import',
        changed_by: staff.userId,
      });
      history.push({
        pupil_id: pupil.id,
        field: 'leaving_reason',
        old_value: pupil.leaving_reason,
        new_value: options.leavers.leaving_reason,
        source: 'import',
        changed_by: staff.userId,
      });
    }
    summary.leaversMarked = leavers.length;
  }
  await flushHistory(true);
  summary.restrictedSkipped = preview.counts.restricted;
  return summary;
}
