import { today } from '../../lib/dates.js';
import crypto from 'node:crypto';
import type { Tx } from '../../db/index.js';
import type { ErrorSummary } from './import-errors.js';
import { ImportReader } from './import-parse.js';
import type { ImportRow } from './import-row.js';
import { displayValue, type StoredPupil } from './pupil-service.js';
import * as q from './queries.js';
import { groupKey, NewGroups } from './import-roll.js';
import { registrationGroupOf } from './school-order.js';
import { editableFields, formatFsmPeriods } from './record.js';

/**
 * What an MIS file would do to the school's pupils: new, changed, unchanged, conflicts, restricted,
 * leavers and errors. The file is read row by row and each row is compared as it arrives, so the
 * plan never holds the file's rows: the preview keeps counts and the first rows of each kind, the
 * fingerprint is hashed as it goes, and confirm (through a `PlanSink`) writes each row as it is
 * planned, in the one transaction that applies the whole file or nothing.
 */

/** The fields an import compares and writes (everything the MIS owns). */
export const comparedFields = [
  ...editableFields.filter((f) => f !== 'mis_id'),
  'leaving_date',
  'leaving_reason',
  'fsm_periods',
  'registration_group',
] as const;
export type Field = (typeof comparedFields)[number];
export type Values = Record<Field, string | null>;
/** What a row says; a field it does not give (a blank registration group) is absent and not compared. */
export type IncomingValues = Partial<Values>;

export interface Existing extends StoredPupil {
  fsm_periods: string | null;
  /** Their current class (`registrationGroupOf`). */
  registration_group: string | null;
}

/** The school as an import matches against it: its pupils, and its current classes by `groupKey`. */
export interface School {
  pupils: Existing[];
  classes: Set<string>;
}

export interface FieldChange {
  field: Field;
  from: string | null;
  to: string | null;
}

export interface PlannedUpdate {
  row: ImportRow;
  pupil: Existing;
  changes: FieldChange[];
  conflicts: FieldChange[];
}

interface ShownPupil {
  mis_id: string;
  name: string;
}

/** The bounded summary kept with the file (import_files.preview) and shown on the preview page. */
export interface ImportPreview {
  fatal: string | null;
  counts: {
    creates: number;
    updates: number;
    changed: number;
    unchanged: number;
    conflicts: number;
    restricted: number;
    leavers: number;
    skipped: number;
    /** Pupils on roll before the import (full imports; absent from previews stored before it was counted). */
    onRoll?: number;
  };
  errors: ErrorSummary;
  /** The first lines without an MIS ID. */
  skipped: number[];
  creates: (ShownPupil & {
    year_group: string | null;
    date_of_birth: string | null;
    registration_group?: string | null;
  })[];
  /** Registration groups the file names that the school has no class for: created when applied. */
  newGroups?: string[];
  changes: (ShownPupil & { changes: FieldChange[] })[];
  conflicts: (ShownPupil & { conflicts: FieldChange[] })[];
  leavers: ShownPupil[];
  fingerprint: string;
}

/** Rows of each kind kept for the preview page. */
export const shownLimit = 500;

export interface PlanSink {
  create(row: ImportRow): Promise<void>;
  update(update: PlannedUpdate): Promise<void>;
  unchanged(row: ImportRow): Promise<void>;
}

export function incomingValues(row: ImportRow): IncomingValues {
  const v = Object.fromEntries(
    editableFields.filter((f) => f !== 'mis_id').map((f) => [f, displayValue(row.record[f])]),
  ) as IncomingValues;
  v.leaving_date = row.leaving?.leaving_date ?? null;
  v.leaving_reason = row.leaving?.leaving_reason ?? null;
  v.fsm_periods = row.fsm.length ? formatFsmPeriods(row.fsm) : null;
  if (row.registrationGroup) v.registration_group = row.registrationGroup;
  return v;
}

function currentValues(p: Existing): Values {
  return Object.fromEntries(comparedFields.map((f) => [f, displayValue(p[f as keyof Existing])])) as Values;
}

/**
 * Which differences to apply and which to show as conflicts:
 * the same → nothing; the MIS still says what it said last time → the local edit stands;
 * only the MIS moved since last time → apply; both moved (or never imported before) → conflict.
 */
function compare(
  incoming: IncomingValues,
  current: Values,
  snapshot: Values | null,
): { changes: FieldChange[]; conflicts: FieldChange[] } {
  const changes: FieldChange[] = [];
  const conflicts: FieldChange[] = [];
  for (const field of comparedFields) {
    const to = incoming[field];
    const from = current[field];
    if (to === undefined || to === from) continue;
    if (snapshot && field in snapshot && snapshot[field] === to) continue;
    if (snapshot && field in snapshot && snapshot[field] === from) changes.push({ field, from, to });
    else conflicts.push({ field, from, to });
  }
  return { changes, conflicts };
}

/** The school's pupils and current classes, for matching. Read in the caller's transaction. */
export async function loadExisting(trx: Tx, schoolId: string): Promise<School> {
  const pupils = (await trx('pupils as p')
    .where('p.school_id', schoolId)
    .select(
      ...q.recordColumns,
      trx.raw(`(select string_agg(f.start_date::text || '..' || coalesce(f.end_date::text, ''), '; ' order by f.start_date)
              from pupil_fsm_periods f where f.school_id = p.school_id and f.pupil_id = p.id) as fsm_periods`),
      trx.raw(`${registrationGroupOf()} as registration_group`),
    )) as Existing[];
  const classes: string[] = await trx('groups')
    .where({ school_id: schoolId, kind: 'class' })
    .whereNull('archived_at')
    .pluck('name');
  return { pupils, classes: new Set(classes.map(groupKey)) };
}

function indexed({ pupils, classes }: School) {
  const byMis = new Map<string, Existing>();
  const byUpn = new Map<string, Existing>();
  for (const p of pupils) {
    if (p.mis_id) byMis.set(p.mis_id, p);
    if (p.upn) byUpn.set(p.upn, p);
  }
  return { pupils, byMis, byUpn, classes };
}

const shown = (mis_id: string, p: { surname: string; legal_forename: string }): ShownPupil => ({
  mis_id,
  name: `${p.surname}, ${p.legal_forename}`,
});

/**
 * Plans (and, with a sink, applies) a file. Returns the preview and every leaver (for confirm).
 * The school's pupils are read (`existingPupils`) only once the file is known to hold pupils. A
 * preview reads them in a short transaction of its own, because one held open through a long parse
 * would be ended by PostgreSQL's idle-in-transaction timeout (60 s); confirm reads them in its one
 * transaction, which stays busy writing every few hundred rows.
 */
export async function planImport(
  existingPupils: () => Promise<School>,
  buffer: Buffer,
  mode: 'update' | 'full',
  sink?: PlanSink,
): Promise<{ preview: ImportPreview; leavers: Existing[] }> {
  const reader = new ImportReader(buffer);
  const preview: ImportPreview = {
    fatal: null,
    counts: { creates: 0, updates: 0, changed: 0, unchanged: 0, conflicts: 0, restricted: 0, leavers: 0, skipped: 0 },
    errors: { total: 0, byColumn: {}, kept: [] },
    skipped: [],
    creates: [],
    changes: [],
    conflicts: [],
    leavers: [],
    fingerprint: '',
  };
  const { counts } = preview;
  const hash = crypto.createHash('sha256');
  const inFile = new Set<string>();
  let existing: ReturnType<typeof indexed> | undefined;
  const load = async () => indexed(await existingPupils());
  const newGroups = new NewGroups(reader.errors);
  for await (const row of reader.rows()) {
    existing ??= await load();
    const misId = row.record.mis_id;
    if (mode === 'full') inFile.add(misId);
    const pupil = existing.byMis.get(misId);
    const upnOwner = row.record.upn ? existing.byUpn.get(row.record.upn) : undefined;
    if (upnOwner && upnOwner.mis_id !== misId) {
      reader.errors.add(
        row.row,
        'upn',
        `UPN ${row.record.upn} already belongs to another pupil at this school${upnOwner.mis_id ? ` (MIS ID ${upnOwner.mis_id})` : ''}. UPNs stay unique, including for pupils who have left.`,
      );
      continue;
    }
    if (!newGroups.note(row, existing.classes)) continue;
    if (!pupil) {
      counts.creates++;
      hash.update(`c${JSON.stringify(misId)}\n`);
      if (preview.creates.length < shownLimit)
        preview.creates.push({
          ...shown(misId, row.record),
          year_group: row.record.year_group,
          date_of_birth: row.record.date_of_birth,
          registration_group: row.registrationGroup,
        });
      await sink?.create(row);
      continue;
    }
    if (pupil.restricted_at) {
      counts.restricted++;
      continue;
    }
    const { changes, conflicts } = compare(
      incomingValues(row),
      currentValues(pupil),
      pupil.mis_snapshot as Values | null,
    );
    if (!changes.length && !conflicts.length) {
      counts.unchanged++;
      await sink?.unchanged(row);
      continue;
    }
    counts.updates++;
    counts.conflicts += conflicts.length;
    hash.update(`u${JSON.stringify([pupil.id, pupil.version, changes, conflicts])}\n`);
    if (changes.length && counts.changed++ < shownLimit) preview.changes.push({ ...shown(misId, pupil), changes });
    if (conflicts.length && preview.conflicts.length < shownLimit)
      preview.conflicts.push({ ...shown(misId, pupil), conflicts });
    await sink?.update({ row, pupil, changes, conflicts });
  }

  preview.newGroups = newGroups.names();
  preview.errors = reader.errors.summary();
  preview.skipped = reader.skipped.first;
  counts.skipped = reader.skipped.count;
  if (reader.fatal) return { preview: { ...preview, fatal: reader.fatal, fingerprint: '' }, leavers: [] };
  let leavers: Existing[] = [];
  if (mode === 'full') {
    existing ??= await load();
    const day = today();
    leavers = existing.pupils.filter(
      (p) => p.mis_id && !inFile.has(p.mis_id) && !p.restricted_at && (!p.leaving_date || p.leaving_date > day),
    );
    counts.leavers = leavers.length;
    counts.onRoll = existing.pupils.filter((p) => !p.leaving_date || p.leaving_date > day).length;
    preview.leavers = leavers.slice(0, shownLimit).map((p) => shown(p.mis_id!, p));
    for (const p of leavers) hash.update(`l${JSON.stringify([p.id, p.version])}\n`);
  }
  hash.update(`e${preview.errors.total}`);
  preview.fingerprint = hash.digest('hex').slice(0, 32);
  return { preview, leavers };
}
