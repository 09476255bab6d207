import type { Database, Tx } from '../../db/index.js';
import type { Actor, StaffActor } from '../../policy/index.js';
import { Conflict, NotFound } from '../../errors.js';
import { recordEdit, withPupil } from './pupil-change.js';
import { type FsmPeriod, formatFsmPeriods } from './record.js';

/** A pupil's free-school-meal periods; each change writes the whole list before and after to the history. */

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
      await recordEdit(
        trx,
        staff,
        pupilId,
        [{ field: 'fsm_periods', old_value: before || null, new_value: after || null }],
        { action: 'pupil.fsm_changed', fields: ['fsm_periods'] },
      );
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
