import type { Database } from '../../db/index.js';
import { firstSubmission } from '../../db/idempotency.js';
import { type Actor, assertStaff } from '../../policy/index.js';
import { assertFresh } from '../../db/versioned.js';
import { NotFound } from '../../errors.js';
import * as audit from '../audit/index.js';
import { directory } from '../tenancy/index.js';
import { type Assignment, assignmentsColumn, withStaffNames } from './people.js';
import { onRoll, whereSearchMatches } from './queries.js';
import { groupSchoolOrder } from './school-order.js';

/** Classes, sets and intervention groups, who is in them and who teaches them. */

export interface GroupInput {
  name: string;
  kind: 'class' | 'set' | 'intervention';
  year_group: string | null;
}

/** For the empty "add a group" form. */
export function assertMayManage(actor: Actor): void {
  assertStaff(actor, 'group.manage');
}

interface GroupListRow {
  id: string;
  name: string;
  kind: GroupInput['kind'];
  year_group: string | null;
  archived_at: Date | null;
  pupils: number;
}

export async function listGroups(db: Database, actor: Actor, includeArchived: boolean) {
  const staff = assertStaff(actor, 'group.manage');
  return db.withActor(staff, async (trx) => {
    const rows: (GroupListRow & { assignments: Assignment[] })[] = await trx('groups as g')
      .where('g.school_id', staff.schoolId)
      .modify((qb) => (includeArchived ? qb : qb.whereNull('g.archived_at')))
      .select(
        'g.id',
        'g.name',
        'g.kind',
        'g.year_group',
        'g.archived_at',
        trx.raw('(select count(*)::int from group_members gm where gm.group_id = g.id) as pupils'),
        assignmentsColumn(trx),
      )
      .orderByRaw(`g.archived_at is not null, g.kind, ${groupSchoolOrder()}`);
    return withStaffNames(trx, rows);
  });
}

export async function createGroup(
  db: Database,
  actor: Actor,
  input: GroupInput,
  submissionKey?: string,
): Promise<string | null> {
  const staff = assertStaff(actor, 'group.manage');
  return db.withActor(staff, async (trx) => {
    if (!(await firstSubmission(trx, staff.userId, submissionKey))) return null;
    const [row] = await trx('groups')
      .insert({ ...input, school_id: staff.schoolId })
      .returning('id');
    await audit.record(trx, staff, {
      action: 'group.created',
      entityType: 'group',
      entityId: row.id,
      fields: Object.keys(input),
    });
    return row.id as string;
  });
}

export async function updateGroup(
  db: Database,
  actor: Actor,
  id: string,
  input: GroupInput & { archived: boolean },
  version: number,
) {
  const staff = assertStaff(actor, 'group.manage');
  await db.withActor(staff, async (trx) => {
    const before = await trx('groups').where({ id, school_id: staff.schoolId }).first().forUpdate();
    if (!before) throw new NotFound('class or group');
    assertFresh(
      before,
      version,
      'Someone else changed this group while you were editing it. Nothing was saved; the form shows the current details.',
    );
    const { archived, ...values } = input;
    const changes = { ...values, archived_at: archived ? (before.archived_at ?? new Date()) : null };
    const fields = Object.keys(values).filter((k) => before[k] !== values[k as keyof GroupInput]);
    if (!!before.archived_at !== archived) fields.push('archived');
    if (!fields.length) return;
    await trx('groups')
      .where({ id })
      .update({ ...changes, version: before.version + 1 });
    await audit.record(trx, staff, { action: 'group.updated', entityType: 'group', entityId: id, fields });
  });
}

/** Pupils on roll not yet in the group, matching a search, for the "add pupils" form. */
export async function candidates(
  db: Database,
  actor: Actor,
  groupId: string,
  search: string,
  yearGroup: string | undefined,
) {
  const staff = assertStaff(actor, 'group.manage');
  return db.withActor(staff, (trx) => {
    const qb = trx('pupils as p')
      .where('p.school_id', staff.schoolId)
      .whereRaw(onRoll)
      .whereNotExists(trx('group_members as gm').whereRaw('gm.pupil_id = p.id').where('gm.group_id', groupId))
      .select('p.id', 'p.legal_forename', 'p.preferred_forename', 'p.surname', 'p.year_group')
      .orderByRaw('year_group_rank(p.year_group), p.surname, p.legal_forename')
      .limit(60);
    if (yearGroup) qb.where('p.year_group', yearGroup);
    whereSearchMatches(qb, search, { identifiers: false });
    return qb;
  });
}

export async function addMembers(db: Database, actor: Actor, groupId: string, pupilIds: string[]) {
  const staff = assertStaff(actor, 'group.manage');
  await db.withActor(staff, async (trx) => {
    const group = await trx('groups').where({ id: groupId, school_id: staff.schoolId }).first();
    if (!group) throw new NotFound('class or group');
    const valid: string[] = await trx('pupils')
      .where({ school_id: staff.schoolId })
      .whereIn('id', pupilIds)
      .pluck('id');
    if (!valid.length) return;
    const added = await trx('group_members')
      .insert(valid.map((pupil_id) => ({ school_id: staff.schoolId, group_id: groupId, pupil_id })))
      .onConflict(['group_id', 'pupil_id'])
      .ignore()
      .returning('pupil_id');
    await audit.record(trx, staff, {
      action: 'group.members_changed',
      entityType: 'group',
      entityId: groupId,
      meta: { added: added.length },
    });
  });
}

export async function removeMember(db: Database, actor: Actor, groupId: string, pupilId: string) {
  const staff = assertStaff(actor, 'group.manage');
  await db.withActor(staff, async (trx) => {
    const n = await trx('group_members')
      .where({ group_id: groupId, pupil_id: pupilId, school_id: staff.schoolId })
      .del();
    if (!n) throw new NotFound('pupil in this group');
    await audit.record(trx, staff, {
      action: 'group.members_changed',
      entityType: 'group',
      entityId: groupId,
      meta: { removed: 1 },
    });
  });
}

/** Staff who could teach or support a group: anyone with a teaching role at this school. */
export async function staffOptions(db: Database, actor: Actor) {
  const staff = assertStaff(actor, 'group.assign_staff');
  return db.withActor(staff, (trx) => directory.activeStaffOf(trx, staff.schoolId));
}

export async function assignStaff(
  db: Database,
  actor: Actor,
  groupId: string,
  userId: string,
  role: 'teacher' | 'teaching_assistant',
) {
  const staff = assertStaff(actor, 'group.assign_staff');
  await db.withActor(staff, async (trx) => {
    const group = await trx('groups').where({ id: groupId, school_id: staff.schoolId }).first();
    const member = await directory.isActiveMemberOf(trx, staff.schoolId, userId);
    if (!group || !member) throw new NotFound('class or staff member');
    await trx('group_staff')
      .insert({ school_id: staff.schoolId, group_id: groupId, user_id: userId, role })
      .onConflict(['group_id', 'user_id'])
      .merge({ role });
    await audit.record(trx, staff, {
      action: 'group.staff_changed',
      entityType: 'group',
      entityId: groupId,
      meta: { role },
    });
  });
}

export async function unassignStaff(db: Database, actor: Actor, groupId: string, userId: string) {
  const staff = assertStaff(actor, 'group.assign_staff');
  await db.withActor(staff, async (trx) => {
    const n = await trx('group_staff').where({ group_id: groupId, user_id: userId, school_id: staff.schoolId }).del();
    if (!n) throw new NotFound('staff member in this group');
    await audit.record(trx, staff, {
      action: 'group.staff_changed',
      entityType: 'group',
      entityId: groupId,
      meta: { removed: 1 },
    });
  });
}
