import type { Database } from '../../db/index.js';
import { type Actor, assertStaff, pupilScope } from '../../policy/index.js';
import { directory } from '../tenancy/index.js';
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

/** One step of a new school's set-up, as the admin's home page lists it. */
export interface FirstRunStep {
  key: 'staff' | 'pupils' | 'groups' | 'settings';
  done: boolean;
}

/**
 * What a new school's admin has still to do (issue 15): invite staff, add or import pupils, make
 * classes and groups, name the DSL. Null once all are done, so the checklist goes away by itself.
 * (The term dates are assessments' step; it adds them as a home section.)
 */
export async function firstRunSteps(db: Database, actor: Actor): Promise<FirstRunStep[] | null> {
  const staff = assertStaff(actor, 'settings.manage');
  return db.withActor(staff, async (trx) => {
    const count = async (table: 'pupils' | 'groups') =>
      Number((await trx(table).where({ school_id: staff.schoolId }).count('* as n').first())?.n ?? 0);
    const people = await directory.activeStaffOf(trx, staff.schoolId);
    const settings = await directory.safeguardingSettings(trx, staff.schoolId);
    const steps: FirstRunStep[] = [
      { key: 'staff', done: people.length > 1 },
      { key: 'pupils', done: (await count('pupils')) > 0 },
      { key: 'groups', done: (await count('groups')) > 0 },
      { key: 'settings', done: !!settings?.dsl_name },
    ];
    return steps.every((s) => s.done) ? null : steps;
  });
}
