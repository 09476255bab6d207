import type { Database, Tx } from '../../db/index.js';
import { firstSubmission } from '../../db/idempotency.js';
import { type Actor, assertStaff, type StaffActor } from '../../policy/index.js';
import { assertFresh } from '../../db/versioned.js';
import { Conflict, NotFound } from '../../errors.js';
import * as audit from '../audit/index.js';
import { lockForChange } from './pupil-service.js';
import * as q from './queries.js';
import { type FsmPeriod, formatFsmPeriods } from './record.js';

/**
 * A pupil's contacts, free-school-meal periods and support flags. Each change locks the pupil
 * (restricted pupils are read-only, P29), is written with its history row and its audit row in one
 * transaction.
 */

export interface ContactInput {
  name: string;
  relationship: string;
  phone: string | null;
  email: string | null;
  address: string | null;
  priority: number;
}

/**
 * A change to one pupil's record, with the pupil locked. Given a form's submission key, a second
 * submission of the same form does nothing and returns undefined (R4).
 */
function withPupil<T>(
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

export function addContact(db: Database, actor: Actor, pupilId: string, input: ContactInput, submissionKey?: string) {
  return withPupil(
    db,
    actor,
    pupilId,
    async (trx, staff) => {
      const [row] = await trx('pupil_contacts')
        .insert({ ...input, school_id: staff.schoolId, pupil_id: pupilId })
        .returning('id');
      await q.writeHistory(trx, staff.schoolId, pupilId, [
        {
          field: 'contact',
          old_value: null,
          new_value: `${input.name} (${input.relationship})`,
          source: 'edit',
          changed_by: staff.userId,
        },
      ]);
      await audit.record(trx, staff, {
        action: 'pupil.contact_added',
        entityType: 'pupil',
        entityId: pupilId,
        fields: Object.keys(input).filter((k) => input[k as keyof ContactInput] !== null),
      });
      return row.id as string;
    },
    submissionKey,
  );
}

export function updateContact(
  db: Database,
  actor: Actor,
  pupilId: string,
  contactId: string,
  input: ContactInput,
  version: number,
) {
  return withPupil(db, actor, pupilId, async (trx, staff) => {
    const before = await trx('pupil_contacts').where({ id: contactId, pupil_id: pupilId }).first().forUpdate();
    if (!before) throw new NotFound('contact');
    assertFresh(
      before,
      version,
      'Someone else changed this contact while you were editing it. Nothing was saved; the form shows the current details.',
    );
    const fields = (Object.keys(input) as (keyof ContactInput)[]).filter(
      (k) => String(before[k] ?? '') !== String(input[k] ?? ''),
    );
    if (!fields.length) return;
    await trx('pupil_contacts')
      .where({ id: contactId })
      .update({ ...input, version: before.version + 1, updated_at: trx.fn.now() });
    await q.writeHistory(
      trx,
      staff.schoolId,
      pupilId,
      fields.map((f) => ({
        field: `contact ${f}`,
        old_value: before[f] === null ? null : String(before[f]),
        new_value: input[f] === null ? null : String(input[f]),
        source: 'edit' as const,
        changed_by: staff.userId,
      })),
    );
    await audit.record(trx, staff, { action: 'pupil.contact_updated', entityType: 'pupil', entityId: pupilId, fields });
  });
}

export function removeContact(db: Database, actor: Actor, pupilId: string, contactId: string) {
  return withPupil(db, actor, pupilId, async (trx, staff) => {
    const [removed] = await trx('pupil_contacts')
      .where({ id: contactId, pupil_id: pupilId })
      .del()
      .returning(['name', 'relationship']);
    if (!removed) throw new NotFound('contact');
    await q.writeHistory(trx, staff.schoolId, pupilId, [
      {
        field: 'contact',
        old_value: `${removed.name} (${removed.relationship})`,
        new_value: null,
        source: 'edit',
        changed_by: staff.userId,
      },
    ]);
    await audit.record(trx, staff, { action: 'pupil.contact_removed', entityType: 'pupil', entityId: pupilId });
  });
}

async function fsmPeriods(trx: Tx, pupilId: string): Promise<FsmPeriod[]> {
  return trx('pupil_fsm_periods').where({ pupil_id: pupilId }).select('start_date', 'end_date');
}

async function changeFsm(
  db: Database,
  actor: Actor,
  pupilId: string,
  change: (trx: Tx, staff: StaffActor) => Promise<void>,
  submissionKey?: string,
) {
  return withPupil(
    db,
    actor,
    pupilId,
    async (trx, staff) => {
      const before = formatFsmPeriods(await fsmPeriods(trx, pupilId));
      await change(trx, staff);
      const after = formatFsmPeriods(await fsmPeriods(trx, pupilId));
      if (before === after) return;
      await q.writeHistory(trx, staff.schoolId, pupilId, [
        {
          field: 'fsm_periods',
          old_value: before || null,
          new_value: after || null,
          source: 'edit',
          changed_by: staff.userId,
        },
      ]);
      await audit.record(trx, staff, {
        action: 'pupil.fsm_changed',
        entityType: 'pupil',
        entityId: pupilId,
        fields: ['fsm_periods'],
      });
    },
    submissionKey,
  );
}

export const addFsmPeriod = (db: Database, actor: Actor, pupilId: string, period: FsmPeriod, submissionKey?: string) =>
  changeFsm(
    db,
    actor,
    pupilId,
    async (trx, staff) => {
      await trx('pupil_fsm_periods').insert({ ...period, school_id: staff.schoolId, pupil_id: pupilId });
    },
    submissionKey,
  );

export const endFsmPeriod = (db: Database, actor: Actor, pupilId: string, periodId: string, endDate: string) =>
  changeFsm(db, actor, pupilId, async (trx) => {
    const period = await trx('pupil_fsm_periods').where({ id: periodId, pupil_id: pupilId }).first();
    if (!period) throw new NotFound('FSM period');
    if (endDate < period.start_date) throw new Conflict('An FSM period cannot end before it starts.');
    await trx('pupil_fsm_periods').where({ id: periodId }).update({ end_date: endDate });
  });

export const removeFsmPeriod = (db: Database, actor: Actor, pupilId: string, periodId: string) =>
  changeFsm(db, actor, pupilId, async (trx) => {
    if (!(await trx('pupil_fsm_periods').where({ id: periodId, pupil_id: pupilId }).del()))
      throw new NotFound('FSM period');
  });

export function addFlag(
  db: Database,
  actor: Actor,
  pupilId: string,
  flagId: string,
  startDate: string,
  endDate: string | null,
  submissionKey?: string,
) {
  return withPupil(
    db,
    actor,
    pupilId,
    async (trx, staff) => {
      const flag = await trx('support_flags')
        .where({ id: flagId, school_id: staff.schoolId })
        .whereNull('archived_at')
        .first();
      if (!flag) throw new NotFound('support flag');
      await trx('pupil_support_flags').insert({
        school_id: staff.schoolId,
        pupil_id: pupilId,
        flag_id: flagId,
        start_date: startDate,
        end_date: endDate,
      });
      await q.writeHistory(trx, staff.schoolId, pupilId, [
        {
          field: `support flag: ${flag.name}`,
          old_value: null,
          new_value: `${startDate}..${endDate ?? ''}`,
          source: 'edit',
          changed_by: staff.userId,
        },
      ]);
      // The audit row names the flag by id: a school's flag names (e.g. "Young carer") are themselves sensitive.
      await audit.record(trx, staff, {
        action: 'pupil.flag_added',
        entityType: 'pupil',
        entityId: pupilId,
        meta: { flagId },
      });
    },
    submissionKey,
  );
}

export function endFlag(db: Database, actor: Actor, pupilId: string, pupilFlagId: string, endDate: string) {
  return withPupil(db, actor, pupilId, async (trx, staff) => {
    const row = await trx('pupil_support_flags as psf')
      .join('support_flags as sf', 'sf.id', 'psf.flag_id')
      .where({ 'psf.id': pupilFlagId, 'psf.pupil_id': pupilId })
      .first('psf.start_date', 'psf.end_date', 'psf.flag_id', 'sf.name');
    if (!row) throw new NotFound('support flag');
    if (endDate < row.start_date) throw new Conflict('A flag cannot end before it starts.');
    await trx('pupil_support_flags').where({ id: pupilFlagId }).update({ end_date: endDate });
    await q.writeHistory(trx, staff.schoolId, pupilId, [
      {
        field: `support flag: ${row.name}`,
        old_value: `${row.start_date}..${row.end_date ?? ''}`,
        new_value: `${row.start_date}..${endDate}`,
        source: 'edit',
        changed_by: staff.userId,
      },
    ]);
    await audit.record(trx, staff, {
      action: 'pupil.flag_ended',
      entityType: 'pupil',
      entityId: pupilId,
      meta: { flagId: row.flag_id },
    });
  });
}

// The school's own support flags ------------------------------------------------------------

export async function listSupportFlags(db: Database, actor: Actor) {
  const staff = assertStaff(actor, 'support_flag.manage');
  return db.withActor(staff, (trx) =>
    trx('support_flags as sf')
      .where('sf.school_id', staff.schoolId)
      .select(
        'sf.id',
        'sf.name',
        'sf.description',
        'sf.archived_at',
        trx.raw(`(select count(*)::int from pupil_support_flags psf where psf.flag_id = sf.id and psf.start_date <= current_date
                   and (psf.end_date is null or psf.end_date >= current_date)) as current_pupils`),
      )
      .orderByRaw('sf.archived_at is not null, lower(sf.name)'),
  );
}

export class DuplicateFlag extends Error {}

export async function createSupportFlag(db: Database, actor: Actor, name: string, description: string | null) {
  const staff = assertStaff(actor, 'support_flag.manage');
  return db.withActor(staff, async (trx) => {
    const existing = await trx('support_flags')
      .where({ school_id: staff.schoolId })
      .whereRaw('lower(name) = lower(?)', [name])
      .first();
    if (existing) throw new DuplicateFlag(`There is already a flag called “${existing.name}”.`);
    const [row] = await trx('support_flags').insert({ school_id: staff.schoolId, name, description }).returning('id');
    await audit.record(trx, staff, {
      action: 'support_flag.created',
      entityType: 'support_flag',
      entityId: row.id,
      meta: { name },
    });
  });
}

export async function archiveSupportFlag(db: Database, actor: Actor, flagId: string) {
  const staff = assertStaff(actor, 'support_flag.manage');
  return db.withActor(staff, async (trx) => {
    const n = await trx('support_flags')
      .where({ id: flagId, school_id: staff.schoolId })
      .whereNull('archived_at')
      .update({ archived_at: trx.fn.now() });
    if (!n) throw new NotFound('support flag');
    await audit.record(trx, staff, { action: 'support_flag.archived', entityType: 'support_flag', entityId: flagId });
  });
}
