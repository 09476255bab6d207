import crypto from 'node:crypto';
import type { Database, Tx } from '../../db/index.js';
import { type Actor, assertStaff, type StaffActor } from '../../policy/index.js';
import { Conflict, HttpError, NotFound } from '../../errors.js';
import * as audit from '../audit/service.js';
import { type ImportRow, parseImport, type RowError } from './import-parse.js';
import { displayValue, type StoredPupil } from './pupil-service.js';
import * as q from './queries.js';
import { editableFields, formatFsmPeriods } from './record.js';

/**
 * MIS import (P31): upload → preview → confirm. The preview says what would happen (new, changed,
 * unchanged, conflicts, errors by row and column); confirm applies every row in one transaction,
 * or none. A field edited in Waypoint since the last import is a conflict, never silently
 * overwritten. The file is kept with its processed date so retention can delete it (P23).
 */

export const maxUploadBytes = 10 * 1024 * 1024;

/** The fields an import compares and writes (everything the MIS owns). */
export const comparedFields = [...editableFields.filter((f) => f !== 'mis_id'), 'leaving_date', 'leaving_reason', 'fsm_periods'] as const;
type Field = (typeof comparedFields)[number];
type Values = Record<Field, string | null>;

export class ImportNotAllowed extends HttpError {
  constructor() {
    super(403, 'MIS imports are turned off for this school. A school admin can allow them in Settings › Importing from your MIS.');
  }
}

interface Existing extends StoredPupil {
  fsm_periods: string | null;
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

export interface ImportPlan {
  fatal: string | null;
  errors: RowError[];
  creates: ImportRow[];
  updates: PlannedUpdate[];
  unchanged: ImportRow[];
  restricted: { row: ImportRow; pupil: Existing }[];
  leavers: Existing[];
  /** Lines without an MIS ID, left out (see ParsedImport). */
  skipped: number[];
  total: number;
  fingerprint: string;
}

function incomingValues(row: ImportRow): Values {
  const v = Object.fromEntries(editableFields.filter((f) => f !== 'mis_id').map((f) => [f, displayValue(row.record[f])])) as Values;
  v.leaving_date = row.leaving?.leaving_date ?? null;
  v.leaving_reason = row.leaving?.leaving_reason ?? null;
  v.fsm_periods = row.fsm.length ? formatFsmPeriods(row.fsm) : null;
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
function compare(incoming: Values, current: Values, snapshot: Values | null): { changes: FieldChange[]; conflicts: FieldChange[] } {
  const changes: FieldChange[] = [];
  const conflicts: FieldChange[] = [];
  for (const field of comparedFields) {
    const to = incoming[field];
    const from = current[field];
    if (to === from) continue;
    if (snapshot && field in snapshot && snapshot[field] === to) continue;
    if (snapshot && field in snapshot && snapshot[field] === from) changes.push({ field, from, to });
    else conflicts.push({ field, from, to });
  }
  return { changes, conflicts };
}

async function loadExisting(trx: Tx, schoolId: string): Promise<Existing[]> {
  return (await trx('pupils as p').where('p.school_id', schoolId).select(
    ...q.recordColumns,
    trx.raw(`(select string_agg(f.start_date::text || '..' || coalesce(f.end_date::text, ''), '; ' order by f.start_date)
              from pupil_fsm_periods f where f.school_id = p.school_id and f.pupil_id = p.id) as fsm_periods`),
  )) as Existing[];
}

async function plan(trx: Tx, schoolId: string, buffer: Buffer, mode: 'update' | 'full'): Promise<ImportPlan> {
  const parsed = await parseImport(buffer);
  const empty = { creates: [], updates: [], unchanged: [], restricted: [], leavers: [], skipped: [], total: 0, fingerprint: '' };
  if (parsed.fatal) return { ...empty, fatal: parsed.fatal, errors: [] };
  const existing = await loadExisting(trx, schoolId);
  const byMis = new Map(existing.filter((p) => p.mis_id).map((p) => [p.mis_id!, p]));
  const byUpn = new Map(existing.filter((p) => p.upn).map((p) => [p.upn!, p]));
  const result: ImportPlan = { ...empty, fatal: null, errors: [...parsed.errors], creates: [], updates: [], unchanged: [], restricted: [], leavers: [], skipped: parsed.skipped, total: parsed.rows.length + parsed.errors.length };
  const inFile = new Set<string>();
  for (const row of parsed.rows) {
    inFile.add(row.record.mis_id);
    const pupil = byMis.get(row.record.mis_id);
    const upnOwner = row.record.upn ? byUpn.get(row.record.upn) : undefined;
    if (upnOwner && upnOwner.mis_id !== row.record.mis_id) {
      result.errors.push({ row: row.row, column: 'upn', message: `UPN ${row.record.upn} already belongs to another pupil at this school${upnOwner.mis_id ? ` (MIS ID ${upnOwner.mis_id})` : ''}. UPNs stay unique, including for pupils who have left.` });
      continue;
    }
    if (!pupil) {
      result.creates.push(row);
      continue;
    }
    if (pupil.restricted_at) {
      result.restricted.push({ row, pupil });
      continue;
    }
    const { changes, conflicts } = compare(incomingValues(row), currentValues(pupil), pupil.mis_snapshot as Values | null);
    if (changes.length || conflicts.length) result.updates.push({ row, pupil, changes, conflicts });
    else result.unchanged.push(row);
  }
  if (mode === 'full') {
    const today = new Date().toISOString().slice(0, 10);
    result.leavers = existing.filter((p) => p.mis_id && !inFile.has(p.mis_id) && !p.restricted_at && (!p.leaving_date || p.leaving_date > today));
  }
  result.errors.sort((a, b) => a.row - b.row);
  result.fingerprint = crypto.createHash('sha256').update(JSON.stringify([
    result.creates.map((r) => r.record.mis_id), result.updates.map((u) => [u.pupil.id, u.pupil.version, u.changes, u.conflicts]),
    result.leavers.map((p) => [p.id, p.version]), result.errors.length,
  ])).digest('hex').slice(0, 32);
  return result;
}

async function assertAllowed(trx: Tx, staff: StaffActor): Promise<void> {
  const settings = await trx('school_settings').where({ school_id: staff.schoolId }).first('mis_import_allowed');
  if (!settings?.mis_import_allowed) throw new ImportNotAllowed();
}

/** A refusal is audited in its own transaction, since the refused one rolls back. */
async function auditRefusal<T>(db: Database, staff: StaffActor, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof ImportNotAllowed) await audit.recordAlone(db, staff, { action: 'import.refused', outcome: 'denied', entityType: 'school', entityId: staff.schoolId });
    throw err;
  }
}

export function assertMayImport(actor: Actor): void {
  assertStaff(actor, 'pupil.import');
}

/** Stores an uploaded file for preview. Refused (and audited) while the MIS-import permission is off. */
export async function upload(db: Database, actor: Actor, file: { filename: string; content: Buffer }, mode: 'update' | 'full'): Promise<string> {
  const staff = assertStaff(actor, 'pupil.import');
  return auditRefusal(db, staff, db.withActor(staff, async (trx) => {
      await assertAllowed(trx, staff);
      const [row] = await trx('import_files').insert({
        school_id: staff.schoolId, uploaded_by: staff.userId, filename: file.filename.slice(0, 255), content: file.content,
        size_bytes: file.content.length, sha256: crypto.createHash('sha256').update(file.content).digest('hex'), mode,
        // P23: every stored file has a processed date from the start (read for the preview now;
        // moved on when it is applied or cancelled), so retention also finds files never confirmed.
        processed_at: trx.fn.now(),
      }).returning('id');
      await audit.record(trx, staff, { action: 'import.previewed', entityType: 'import', entityId: row.id, meta: { bytes: file.content.length, mode } });
      return row.id as string;
  }));
}

async function loadImport(trx: Tx, staff: StaffActor, id: string, lock = false) {
  const query = trx('import_files').where({ id, school_id: staff.schoolId }).first();
  if (lock) query.forUpdate();
  const row = await query;
  if (!row) throw new NotFound('import');
  return row as { id: string; filename: string; content: Buffer | null; mode: 'update' | 'full'; status: string; created_at: Date; processed_at: Date | null; summary: Record<string, number> | null; size_bytes: number };
}

export async function preview(db: Database, actor: Actor, id: string) {
  const staff = assertStaff(actor, 'pupil.import');
  return db.withActor(staff, async (trx) => {
    const file = await loadImport(trx, staff, id);
    const allowed = !!(await trx('school_settings').where({ school_id: staff.schoolId }).first('mis_import_allowed'))?.mis_import_allowed;
    if (file.status !== 'previewed' || !file.content) return { file, plan: null, allowed };
    return { file, plan: await plan(trx, staff.schoolId, file.content, file.mode), allowed };
  });
}

export interface ConfirmOptions {
  fingerprint: string;
  overwriteConflicts: boolean;
  leavers: { leaving_date: string; leaving_reason: string } | null;
}

export interface ImportSummary {
  created: number;
  updated: number;
  unchanged: number;
  conflictsKept: number;
  conflictsOverwritten: number;
  restrictedSkipped: number;
  leaversMarked: number;
}

function typed(field: Field, value: string | null): unknown {
  if (value === null) return null;
  if (field === 'eal' || field === 'looked_after' || field === 'service_child') return value === 'Y';
  if (field === 'attendance_percent') return Number(value);
  return value;
}

/** Applies a previewed import: every row in one transaction, or none. */
export async function confirm(db: Database, actor: Actor, id: string, options: ConfirmOptions): Promise<ImportSummary> {
  const staff = assertStaff(actor, 'pupil.import');
  return auditRefusal(db, staff, db.withActor(staff, async (trx) => {
    const file = await loadImport(trx, staff, id, true);
    if (file.status !== 'previewed' || !file.content) throw new Conflict('This import has already been applied or cancelled.');
    await assertAllowed(trx, staff);
    const p = await plan(trx, staff.schoolId, file.content, file.mode);
    if (p.fatal || p.errors.length) throw new Conflict('This file still has errors. Fix them in your MIS, export again and upload the new file. Nothing was imported.');
    if (p.fingerprint !== options.fingerprint) throw new Conflict('Pupil records changed since you looked at the preview. Nothing was imported; review the preview again.');

    const now = new Date();
    const history: (q.HistoryEntry & { pupil_id: string })[] = [];
    const snapshot = (row: ImportRow) => JSON.stringify(incomingValues(row));

    for (let i = 0; i < p.creates.length; i += 500) {
      const batch = p.creates.slice(i, i + 500);
      const inserted: { id: string; mis_id: string }[] = await trx('pupils').insert(batch.map((row) => ({
        ...row.record, ...(row.leaving ?? {}), school_id: staff.schoolId, mis_snapshot: snapshot(row), last_imported_at: now,
      }))).returning(['id', 'mis_id']);
      const idOf = new Map(inserted.map((r) => [r.mis_id, r.id]));
      const periods = batch.flatMap((row) => row.fsm.map((f) => ({ ...f, school_id: staff.schoolId, pupil_id: idOf.get(row.record.mis_id)! })));
      if (periods.length) await trx('pupil_fsm_periods').insert(periods);
      for (const row of batch) history.push({ pupil_id: idOf.get(row.record.mis_id)!, field: 'record', old_value: null, new_value: 'created by MIS import', source: 'import', changed_by: staff.userId });
    }

    let conflictsKept = 0;
    let conflictsOverwritten = 0;
    for (const u of p.updates) {
      const apply = options.overwriteConflicts ? [...u.changes, ...u.conflicts] : u.changes;
      if (options.overwriteConflicts) conflictsOverwritten += u.conflicts.length;
      else conflictsKept += u.conflicts.length;
      const values = Object.fromEntries(apply.filter((c) => c.field !== 'fsm_periods').map((c) => [c.field, typed(c.field, c.to)]));
      await trx('pupils').where({ id: u.pupil.id }).update({
        ...values, mis_snapshot: snapshot(u.row), last_imported_at: now,
        ...(apply.length ? { version: u.pupil.version + 1, updated_at: now } : {}),
      });
      if (apply.some((c) => c.field === 'fsm_periods')) {
        await trx('pupil_fsm_periods').where({ pupil_id: u.pupil.id }).del();
        if (u.row.fsm.length) await trx('pupil_fsm_periods').insert(u.row.fsm.map((f) => ({ ...f, school_id: staff.schoolId, pupil_id: u.pupil.id })));
      }
      for (const c of apply) history.push({ pupil_id: u.pupil.id, field: c.field, old_value: c.from, new_value: c.to, source: 'import', changed_by: staff.userId });
    }

    // Unchanged pupils: only remember what the MIS said, for the next import's comparison.
    const snapshots = p.unchanged.map((row) => ({ mis_id: row.record.mis_id, snap: incomingValues(row) }));
    for (let i = 0; i < snapshots.length; i += 1000) {
      await trx.raw(
        `update pupils p set mis_snapshot = v.snap, last_imported_at = ? from jsonb_to_recordset(?::jsonb) as v(mis_id text, snap jsonb)
          where p.school_id = ? and p.mis_id = v.mis_id and p.mis_snapshot is distinct from v.snap`,
        [now, JSON.stringify(snapshots.slice(i, i + 1000)), staff.schoolId],
      );
    }

    let leaversMarked = 0;
    if (options.leavers && p.leavers.length) {
      for (const pupil of p.leavers) {
        await trx('pupils').where({ id: pupil.id }).update({ ...options.leavers, version: pupil.version + 1, updated_at: now });
        history.push({ pupil_id: pupil.id, field: 'leaving_date', old_value: pupil.leaving_date, new_value: options.leavers.leaving_date, source: 'import', changed_by: staff.userId });
        history.push({ pupil_id: pupil.id, field: 'leaving_reason', old_value: pupil.leaving_reason, new_value: options.leavers.leaving_reason, source: 'import', changed_by: staff.userId });
      }
      leaversMarked = p.leavers.length;
    }

    for (let i = 0; i < history.length; i += 2000) {
      await trx('pupil_history').insert(history.slice(i, i + 2000).map((h) => ({ ...h, school_id: staff.schoolId })));
    }

    const summary: ImportSummary = {
      created: p.creates.length, updated: p.updates.filter((u) => u.changes.length || (options.overwriteConflicts && u.conflicts.length)).length,
      unchanged: p.unchanged.length, conflictsKept, conflictsOverwritten, restrictedSkipped: p.restricted.length, leaversMarked,
    };
    await trx('import_files').where({ id }).update({ status: 'applied', processed_at: now, summary });
    await audit.record(trx, staff, { action: 'import.applied', entityType: 'import', entityId: id, fields: ['record'], meta: { ...summary } });
    return summary;
  }));
}

export async function cancel(db: Database, actor: Actor, id: string): Promise<void> {
  const staff = assertStaff(actor, 'pupil.import');
  await db.withActor(staff, async (trx) => {
    const file = await loadImport(trx, staff, id, true);
    if (file.status !== 'previewed') return;
    await trx('import_files').where({ id }).update({ status: 'cancelled', processed_at: trx.fn.now() });
    await audit.record(trx, staff, { action: 'import.cancelled', entityType: 'import', entityId: id });
  });
}

/** The school's recent imports, and whether imports are allowed now. */
export async function history(db: Database, actor: Actor) {
  const staff = assertStaff(actor, 'pupil.import');
  return db.withActor(staff, async (trx) => ({
    allowed: !!(await trx('school_settings').where({ school_id: staff.schoolId }).first('mis_import_allowed'))?.mis_import_allowed,
    imports: await trx('import_files as i').leftJoin('users as u', 'u.id', 'i.uploaded_by').where('i.school_id', staff.schoolId)
      .select('i.id', 'i.filename', 'i.mode', 'i.status', 'i.created_at', 'i.processed_at', 'i.summary', 'i.size_bytes',
        trx.raw(`u.given_name || ' ' || u.family_name as uploaded_by_name`))
      .orderBy('i.created_at', 'desc').limit(20),
  }));
}
