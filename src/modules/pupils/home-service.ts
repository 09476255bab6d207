import type { Database } from '../../db/index.js';
import { type Actor, assertStaff, pupilScope } from '../../policy/index.js';
import { type Assignment, assignmentsColumn, withStaffNames } from './people.js';
import { groupSchoolOrder } from './school-order.js';

export interface GroupSummary {
  id: string;
  name: string;
  kind: 'class' | 'set' | 'intervention';
  year_group: string | null;
  pupils: number;
  staff: string[];
}

/**
 * The groups on a member of staff's home page: the ones they are assigned to, or (for leaders
 * who see the whole school) every current group.
 */
export async function homeGroups(
  db: Database,
  actor: Actor,
): Promise<{ groups: GroupSummary[]; wholeSchool: boolean }> {
  const staff = assertStaff(actor, 'group.read');
  const wholeSchool = pupilScope(staff).kind === 'school';
  const groups = await db.withActor(staff, async (trx) => {
    const rows: (Omit<GroupSummary, 'staff'> & { assignments: Assignment[] })[] = await trx('groups as g')
      .where('g.school_id', staff.schoolId)
      .whereNull('g.archived_at')
      .modify((qb) => {
        if (!wholeSchool)
          qb.whereExists(
            trx('group_staff as gs').whereRaw('?? = ??', ['gs.group_id', 'g.id']).where('gs.user_id', staff.userId),
          );
      })
      .select(
        'g.id',
        'g.name',
        'g.kind',
        'g.year_group',
        trx.raw('(select count(*)::int from group_members gm where gm.group_id = g.id) as pupils'),
        assignmentsColumn(trx),
      )
      .orderBy('g.kind')
      .orderByRaw(groupSchoolOrder());
    return withStaffNames(trx, rows);
  });
  return { groups, wholeSchool };
}
