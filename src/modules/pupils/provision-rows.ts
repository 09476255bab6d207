import type { Tx } from '../../db/index.js';
import { assert, assertStaff, pupilScope, type StaffActor } from '../../policy/index.js';
import { NotFound } from '../../errors.js';
import { listColumns, onRoll, type PupilListRow } from './queries.js';
import { applyPupilScope } from './scope.js';
import { groupSchoolOrder, registrationGroupOf } from './school-order.js';

/**
 * The pupils' side of the provision map (assessments writes it, adding scores and interventions):
 * the pupils on roll this member of staff may see, in one group or the whole school, in school
 * order, with their SEN, Pupil Premium, FSM, EAL, looked-after status, support flags, classes and
 * groups. Restricted pupils (P29) are left out, as from every export. In the caller's transaction.
 */

export interface ProvisionPupil extends PupilListRow {
  sen_primary_need: string | null;
  registration_group: string | null;
  /** Current (not archived) groups of every kind, in school order. */
  groups: string[];
  /** Every group they are in, archived ones too: an ended intervention's group may be archived. */
  group_ids: string[];
}

export async function provisionPupils(trx: Tx, staff: StaffActor, groupId?: string): Promise<ProvisionPupil[]> {
  assertStaff(staff, 'pupil.list');
  if (groupId) {
    const group = await trx('groups as g')
      .where({ 'g.id': groupId, 'g.school_id': staff.schoolId })
      .first(
        'g.archived_at',
        trx.raw(
          `coalesce((select json_agg(gs.user_id) from group_staff gs where gs.group_id = g.id), '[]') as staff_ids`,
        ),
      );
    if (!group) throw new NotFound('class or group');
    assert(staff, 'group.read', { group: { archived: !!group.archived_at, staffIds: group.staff_ids } });
  }
  const q = applyPupilScope(trx('pupils as p'), pupilScope(staff))
    .where('p.school_id', staff.schoolId)
    .whereRaw(onRoll)
    .whereNull('p.restricted_at')
    .select([
      ...listColumns(trx),
      'p.sen_primary_need',
      trx.raw(`${registrationGroupOf()} as registration_group`),
      trx.raw(`(select coalesce(array_agg(g.name order by ${groupSchoolOrder()}), '{}') from group_members gm
                 join groups g on g.id = gm.group_id
                where gm.school_id = p.school_id and gm.pupil_id = p.id and g.archived_at is null) as groups`),
      trx.raw(`(select coalesce(array_agg(gm.group_id::text), '{}') from group_members gm
                where gm.school_id = p.school_id and gm.pupil_id = p.id) as group_ids`),
    ])
    .orderByRaw('year_group_rank(p.year_group), p.surname, p.legal_forename, p.id');
  if (groupId)
    q.whereExists((s) =>
      s.select(1).from('group_members as fgm').whereRaw('fgm.pupil_id = p.id').where('fgm.group_id', groupId),
    );
  return (await q) as ProvisionPupil[];
}
