import type { Database } from '../../db/index.js';
import { type Actor, assertStaff } from '../../policy/index.js';
import { Conflict, NotFound } from '../../errors.js';
import { FieldError } from '../../http/form-page.js';
import * as audit from '../audit/index.js';
import { recordEdit, withPupil } from './pupil-change.js';

/** Support flags: a pupil's (start and end dates, in the history) and the school's own list of them. */

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
      // The audit row names the flag by id: a school's flag names (e.g. "Young carer") are themselves sensitive.
      await recordEdit(
        trx,
        staff,
        pupilId,
        [{ field: `support flag: ${flag.name}`, old_value: null, new_value: `${startDate}..${endDate ?? ''}` }],
        { action: 'pupil.flag_added', meta: { flagId } },
      );
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
    await recordEdit(
      trx,
      staff,
      pupilId,
      [
        {
          field: `support flag: ${row.name}`,
          old_value: `${row.start_date}..${row.end_date ?? ''}`,
          new_value: `${row.start_date}..${endDate}`,
        },
      ],
      { action: 'pupil.flag_ended', meta: { flagId: row.flag_id } },
    );
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

/** A flag name the school already uses; shown beside the name field. */
export class DuplicateFlag extends FieldError {
  constructor(message: string) {
    super('name', message);
  }
}

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
