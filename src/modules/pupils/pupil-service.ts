import type { Database, Tx } from '../../db/index.js';
import { firstSubmission } from '../../db/idempotency.js';
import { assertFresh } from '../../db/versioned.js';
import { FieldError } from '../../http/form-page.js';
import { type Actor, assert, assertStaff, PolicyDenied, type StaffActor } from '../../policy/index.js';
import { NotFound } from '../../errors.js';
import * as audit from '../audit/index.js';
import * as q from './queries.js';
import { editableFields, formatFsmPeriods, type PupilRecord } from './record.js';

/** A UPN or MIS ID that another pupil at the school (current or former) already has; shown beside that field. */
export class DuplicateIdentifier extends FieldError {
  constructor(field: 'upn' | 'mis_id', value: string) {
    super(
      field,
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

export async function loadPupil(trx: Tx, id: string): Promise<StoredPupil> {
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

/**
 * Saves an edit and returns the fields it changed. R5: the form carries the version it was read at; if the
 * record has moved on, nothing is written and it throws `StaleWrite<StoredPupil>` (409) carrying the current
 * record, for the form to show beside the user's version.
 * P28: every changed field gets a history row (old, new, who, when) and the audit row names them.
 */
export async function updatePupil(
  db: Database,
  actor: Actor,
  id: string,
  record: PupilRecord,
  version: number,
): Promise<string[]> {
  const staff = assertStaff(actor, 'pupil.update');
  return db.withActor(staff, async (trx) => {
    const before = await loadForChange(trx, staff, id, 'pupil.update');
    assertFresh(before, version);
    const changed = diff(before, record);
    if (!changed.length) return changed;
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
    return changed;
  });
}

/**
 * Marks a pupil as having left (date and reason required), or returns them to the roll. R5: throws
 * `StaleWrite` (409) and writes nothing when the record moved on since the form was read.
 */
export async function setLeaving(
  db: Database,
  actor: Actor,
  id: string,
  leaving: { leaving_date: string; leaving_reason: string } | null,
  version: number,
): Promise<void> {
  const staff = assertStaff(actor, 'pupil.leave');
  await db.withActor(staff, async (trx) => {
    const before = await loadForChange(trx, staff, id, 'pupil.leave');
    assertFresh(before, version);
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
  });
}

/** Checks the pupil may be changed by this actor, and returns it. For the child-record services. */
export function lockForChange(trx: Tx, staff: StaffActor, id: string): Promise<StoredPupil> {
  return loadForChange(trx, staff, id, 'pupil.update');
}

export { formatFsmPeriods };
