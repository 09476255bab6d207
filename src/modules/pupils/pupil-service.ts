import type { Database, Tx } from '../../db/index.js';
import { firstSubmission } from '../../db/idempotency.js';
import { type Actor, assert, assertStaff, can, PolicyDenied, pupilScope, type StaffActor } from '../../policy/index.js';
import { NotFound } from '../../errors.js';
import * as audit from '../audit/index.js';
import * as q from './queries.js';
import { editableFields, everSixFsm, type FsmPeriod, formatFsmPeriods, fsmNow, type PupilRecord } from './record.js';
import { yearGroups } from '../../lib/year-groups.js';

export const pageSize = 50;

/** A UPN or MIS ID that another pupil at the school (current or former) already has. */
export class DuplicateIdentifier extends Error {
  constructor(
    readonly field: 'upn' | 'mis_id',
    value: string,
  ) {
    super(
      field === 'upn'
        ? `UPN ${value} already belongs to another pupil at this school, current or former. UPNs are unique.`
        : `MIS ID ${value} already belongs to another pupil at this school.`,
    );
  }
}

async function assertIdentifiersFree(trx: Tx, schoolId: string, record: PupilRecord, exceptId?: string): Promise<void> {
  for (const field of ['upn', 'mis_id'] as const) {
    const value = record[field];
    if (!value) continue;
    const q1 = trx('pupils').where({ school_id: schoolId, [field]: value });
    if (exceptId) q1.whereNot('id', exceptId);
    if (await q1.first('id')) throw new DuplicateIdentifier(field, value);
  }
}

/** A stored value as the history and the CSV show it. */
export function displayValue(v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'boolean') return v ? 'Y' : 'N';
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

export interface StoredPupil extends PupilRecord {
  id: string;
  school_id: string;
  leaving_date: string | null;
  leaving_reason: string | null;
  restricted_at: Date | null;
  version: number;
  mis_snapshot: Record<string, string | null> | null;
  created_at: Date;
  updated_at: Date;
}

async function loadPupil(trx: Tx, id: string): Promise<StoredPupil> {
  const row = (await trx('pupils as p').where('p.id', id).first(q.recordColumns)) as StoredPupil | undefined;
  if (!row) throw new NotFound('pupil');
  return row;
}

/**
 * Loads a pupil for a change: the policy answers first (a restricted record is read-only, P29),
 * then the row is locked. Row-level security would also refuse the lock.
 */
async function loadForChange(
  trx: Tx,
  staff: StaffActor,
  id: string,
  action: 'pupil.update' | 'pupil.leave',
): Promise<StoredPupil> {
  const pupil = await loadPupil(trx, id);
  assert(staff, action, { schoolId: pupil.school_id, restricted: !!pupil.restricted_at });
  const locked = await trx('pupils').where({ id }).forUpdate().first('version');
  if (!locked) throw new PolicyDenied(action, 'row-level security refused the change');
  return { ...pupil, version: locked.version };
}

/** The pupil list: scoped to what the actor may see, filtered, sorted and paged. */
export async function listPupils(db: Database, actor: Actor, filters: q.ListFilters, page: number) {
  const staff = assertStaff(actor, 'pupil.list');
  return db.withActor(staff, async (trx) => {
    const base = q.filtered(trx, pupilScope(staff), filters);
    const [{ total }] = (await base.clone().count<{ total: number }[]>('* as total')) as [{ total: number }];
    const pages = Math.max(1, Math.ceil(Number(total) / pageSize));
    const current = Math.min(Math.max(1, page), pages);
    const rows = (await q
      .ordered(base.clone().select(q.listColumns(trx)), filters)
      .limit(pageSize)
      .offset((current - 1) * pageSize)) as q.PupilListRow[];
    const choices = await filterChoices(trx, staff);
    // The list shows SEN status: a read of special-category data (L1).
    await audit.record(trx, staff, { action: 'pupil.listed', meta: { rows: rows.length, total: Number(total) } });
    return { rows, total: Number(total), page: current, pages, ...choices };
  });
}

/** The list's filter choices alone, to show a refused filter form again (I4); no pupil is read. */
export async function listChoices(db: Database, actor: Actor) {
  const staff = assertStaff(actor, 'pupil.list');
  return db.withActor(staff, (trx) => filterChoices(trx, staff));
}

async function filterChoices(trx: Tx, staff: StaffActor) {
  const groups = await trx('groups')
    .where({ school_id: staff.schoolId })
    .whereNull('archived_at')
    .modify((g) => {
      if (pupilScope(staff).kind === 'taught')
        g.whereExists(trx('group_staff as gs').whereRaw('gs.group_id = groups.id').where('gs.user_id', staff.userId));
    })
    .select('id', 'name')
    .orderByRaw('year_group_rank(year_group) nulls last, name');
  const flags = await trx('support_flags')
    .where({ school_id: staff.schoolId })
    .whereNull('archived_at')
    .select('id', 'name')
    .orderBy('name');
  return { groups, flags, yearGroups };
}

export interface ExportRow extends StoredPupil {
  ever_6_fsm: boolean;
  pupil_premium: boolean;
  fsm_periods: string | null;
}

/** Exactly what the list's filter shows, every page, minus restricted pupils (P29). Audited as a bulk export (P34). */
export async function exportPupils(db: Database, actor: Actor, filters: q.ListFilters): Promise<ExportRow[]> {
  const staff = assertStaff(actor, 'pupil.export');
  return db.withActor(staff, async (trx) => {
    const rows = (await q.ordered(
      q.filtered(trx, pupilScope(staff), filters).whereNull('p.restricted_at').select(q.exportColumns(trx)),
      filters,
    )) as ExportRow[];
    await audit.record(trx, staff, {
      action: 'pupil.exported',
      entityType: 'pupil',
      fields: ['record'],
      meta: {
        rows: rows.length,
        filters: Object.entries(filters)
          .filter(([, v]) => v)
          .map(([k]) => k)
          .join(','),
      },
    });
    return rows;
  });
}

/** Everything on the one-page profile. Every view is audited (the profile shows SEN: L1). */
export async function getProfile(db: Database, actor: Actor, id: string) {
  const staff = assertStaff(actor, 'pupil.read');
  return db.withActor(staff, async (trx) => {
    const pupil = await loadPupil(trx, id);
    // One connection per transaction: these run one after another.
    const contacts = await trx('pupil_contacts')
      .where({ school_id: staff.schoolId, pupil_id: id })
      .orderBy(['priority', 'name']);
    const groups = await trx('group_members as gm')
      .join('groups as g', 'g.id', 'gm.group_id')
      .where({ 'gm.school_id': staff.schoolId, 'gm.pupil_id': id })
      .whereNull('g.archived_at')
      .select('g.id', 'g.name', 'g.kind')
      .orderBy(['g.kind', 'g.name']);
    const fsm = await trx('pupil_fsm_periods')
      .where({ school_id: staff.schoolId, pupil_id: id })
      .orderBy('start_date')
      .select('id', 'start_date', 'end_date');
    const flags = await trx('pupil_support_flags as psf')
      .join('support_flags as sf', 'sf.id', 'psf.flag_id')
      .where({ 'psf.school_id': staff.schoolId, 'psf.pupil_id': id })
      .select('psf.id', 'sf.name', 'psf.start_date', 'psf.end_date')
      .orderBy([{ column: 'psf.end_date', order: 'desc', nulls: 'first' }, 'sf.name']);
    const history = await trx('pupil_history as h')
      .leftJoin('users as u', 'u.id', 'h.changed_by')
      .where({ 'h.school_id': staff.schoolId, 'h.pupil_id': id })
      .select(
        'h.field',
        'h.old_value',
        'h.new_value',
        'h.source',
        'h.changed_at',
        trx.raw(`u.given_name || ' ' || u.family_name as changed_by_name`),
      )
      .orderBy('h.id', 'desc')
      .limit(100);
    const availableFlags = await trx('support_flags')
      .where({ school_id: staff.schoolId })
      .whereNull('archived_at')
      .select('id', 'name')
      .orderBy('name');
    await audit.record(trx, staff, { action: 'pupil.viewed', entityType: 'pupil', entityId: id });
    const fsmPeriods = fsm as (FsmPeriod & { id: string })[];
    return {
      pupil,
      contacts,
      groups,
      fsm: fsmPeriods,
      fsmNow: fsmNow(fsmPeriods),
      everSix: everSixFsm(fsmPeriods),
      flags,
      availableFlags,
      history,
      canEdit: can(staff, 'pupil.update', { restricted: !!pupil.restricted_at }),
    };
  });
}

/** The current record, for the edit form. */
export async function getForEdit(db: Database, actor: Actor, id: string): Promise<StoredPupil> {
  const staff = assertStaff(actor, 'pupil.update');
  const pupil = await db.withActor(staff, (trx) => loadPupil(trx, id));
  assert(staff, 'pupil.update', { schoolId: pupil.school_id, restricted: !!pupil.restricted_at });
  return pupil;
}

function diff(before: Partial<StoredPupil>, after: PupilRecord): (keyof PupilRecord)[] {
  return editableFields.filter((f) => displayValue(before[f]) !== displayValue(after[f]));
}

/** For the empty "add a pupil" form: only roles that may create pupils see it. */
export function assertMayCreate(actor: Actor): void {
  assertStaff(actor, 'pupil.create');
}

export async function createPupil(
  db: Database,
  actor: Actor,
  record: PupilRecord,
  submissionKey?: string,
): Promise<string | null> {
  const staff = assertStaff(actor, 'pupil.create');
  return db.withActor(staff, async (trx) => {
    if (!(await firstSubmission(trx, staff.userId, submissionKey))) return null;
    await assertIdentifiersFree(trx, staff.schoolId, record);
    const [row] = await trx('pupils')
      .insert({ ...record, school_id: staff.schoolId })
      .returning('id');
    await q.writeHistory(trx, staff.schoolId, row.id, [
      { field: 'record', old_value: null, new_value: 'created', source: 'create', changed_by: staff.userId },
    ]);
    await audit.record(trx, staff, {
      action: 'pupil.created',
      entityType: 'pupil',
      entityId: row.id,
      fields: editableFields.filter((f) => record[f] !== null),
    });
    return row.id as string;
  });
}

export type UpdateResult = { ok: true; changed: string[] } | { ok: false; current: StoredPupil };

/**
 * Saves an edit. R5: the form carries the version it was read at; if the record has moved on,
 * nothing is written and the caller gets the current record to show beside the user's version.
 * P28: every changed field gets a history row (old, new, who, when) and the audit row names them.
 */
export async function updatePupil(
  db: Database,
  actor: Actor,
  id: string,
  record: PupilRecord,
  version: number,
): Promise<UpdateResult> {
  const staff = assertStaff(actor, 'pupil.update');
  return db.withActor(staff, async (trx) => {
    const before = await loadForChange(trx, staff, id, 'pupil.update');
    if (before.version !== version) return { ok: false, current: before };
    const changed = diff(before, record);
    if (!changed.length) return { ok: true, changed };
    await assertIdentifiersFree(trx, staff.schoolId, record, id);
    const values = Object.fromEntries(changed.map((f) => [f, record[f]]));
    await trx('pupils')
      .where({ id })
      .update({ ...values, version: before.version + 1, updated_at: trx.fn.now() });
    await q.writeHistory(
      trx,
      staff.schoolId,
      id,
      changed.map((f) => ({
        field: f,
        old_value: displayValue(before[f]),
        new_value: displayValue(record[f]),
        source: 'edit' as const,
        changed_by: staff.userId,
      })),
    );
    await audit.record(trx, staff, { action: 'pupil.updated', entityType: 'pupil', entityId: id, fields: changed });
    return { ok: true, changed };
  });
}

/** Marks a pupil as having left (date and reason required), or returns them to the roll. */
export async function setLeaving(
  db: Database,
  actor: Actor,
  id: string,
  leaving: { leaving_date: string; leaving_reason: string } | null,
  version: number,
): Promise<UpdateResult> {
  const staff = assertStaff(actor, 'pupil.leave');
  return db.withActor(staff, async (trx) => {
    const before = await loadForChange(trx, staff, id, 'pupil.leave');
    if (before.version !== version) return { ok: false, current: before };
    const after = leaving ?? { leaving_date: null, leaving_reason: null };
    await trx('pupils')
      .where({ id })
      .update({ ...after, version: before.version + 1, updated_at: trx.fn.now() });
    await q.writeHistory(
      trx,
      staff.schoolId,
      id,
      (['leaving_date', 'leaving_reason'] as const).map((f) => ({
        field: f,
        old_value: displayValue(before[f]),
        new_value: displayValue(after[f]),
        source: 'leaver' as const,
        changed_by: staff.userId,
      })),
    );
    await audit.record(trx, staff, {
      action: leaving ? 'pupil.left' : 'pupil.returned',
      entityType: 'pupil',
      entityId: id,
      fields: ['leaving_date', 'leaving_reason'],
    });
    return { ok: true, changed: ['leaving_date', 'leaving_reason'] };
  });
}

/** Checks the pupil may be changed by this actor, and returns it. For the child-record services. */
export function lockForChange(trx: Tx, staff: StaffActor, id: string): Promise<StoredPupil> {
  return loadForChange(trx, staff, id, 'pupil.update');
}

export { formatFsmPeriods };
