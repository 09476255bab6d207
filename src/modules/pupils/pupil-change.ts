import type { Database, Tx } from '../../db/index.js';
import { firstSubmission } from '../../db/idempotency.js';
import { type Actor, assertStaff, type StaffActor } from '../../policy/index.js';
import * as audit from '../audit/index.js';
import { lockForChange } from './pupil-service.js';
import { writeHistory } from './queries.js';

/**
 * How a pupil's contacts, free-school-meal periods and support flags change: each change locks the
 * pupil (restricted pupils are read-only, P29) and is written with its history row and its audit row
 * in one transaction.
 */

/**
 * A change to one pupil's record, with the pupil locked. Given a form's submission key, a second
 * submission of the same form does nothing and returns undefined (R4).
 */
export function withPupil<T>(
  db: Database,
  actor: Actor,
  pupilId: string,
  work: (trx: Tx, staff: StaffActor) => Promise<T>,
  submissionKey?: string,
): Promise<T | undefined> {
  const staff = assertStaff(actor, 'pupil.update');
  return db.withActor(staff, async (trx) => {
    await lockForChange(trx, staff, pupilId);
    if (!(await firstSubmission(trx, staff.userId, submissionKey))) return undefined;
    return work(trx, staff);
  });
}

/** One line of the change history (P28): the field as the history names it, before and after. */
export interface EditedField {
  field: string;
  old_value: string | null;
  new_value: string | null;
}

/**
 * Writes an edit's history rows (by this member of staff) and its audit row about the pupil, in the
 * change's transaction. The audit row names fields and ids, never the values (L2).
 */
export async function recordEdit(
  trx: Tx,
  staff: StaffActor,
  pupilId: string,
  edits: readonly EditedField[],
  entry: Pick<audit.AuditEntry, 'action' | 'fields' | 'meta'>,
): Promise<void> {
  await writeHistory(
    trx,
    staff.schoolId,
    pupilId,
    edits.map((e) => ({ ...e, source: 'edit' as const, changed_by: staff.userId })),
  );
  await audit.record(trx, staff, { ...entry, entityType: 'pupil', entityId: pupilId });
}
