import { type Database, prepared, type Tx } from '../../db/index.js';
import { type Actor, assert, assertStaff, can, pupilScope, type StaffActor } from '../../policy/index.js';
import { NotFound } from '../../errors.js';
import * as audit from '../audit/index.js';
import { type Assignment, assignedPeople } from './people.js';
import { onRoll, pupilColumns, type PupilListItem } from './queries.js';
import { applyPupilScope } from './scope.js';

/** Scoped loaders of groups and their pupils, for pupils' pages and for other modules (assessments). */

interface GroupRow {
  id: string;
  school_id: string;
  name: string;
  kind: string;
  year_group: string | null;
  archived_at: Date | null;
  version: number;
}

/** A pupil as the group pages show them; `restricted_at` is an ISO time or null. */
export type GroupPupil = PupilListItem & { restricted_at: string | null };

export interface GroupStaff {
  user_id: string;
  given_name: string;
  family_name: string;
  role: string;
}

/**
 * A class or group with its pupils (on roll), as far as this member of staff may see them, inside
 * the caller's transaction. Teachers and TAs may open only groups they are assigned to.
 * Other modules (assessments) build on this.
 */
export async function loadGroupForStaff(trx: Tx, staff: StaffActor, groupId: string) {
  assertStaff(staff, 'group.read');
  // The group, who works with it and its pupils on roll, in one round trip (the class page is the
  // busiest page); the staff's names come from tenancy in a second. No extra pupil scope is needed:
  // whole-school roles see every pupil, and anyone else must be assigned to this group, and it
  // must be current (checked below), which makes all its members theirs.
  const { rows } = await prepared<GroupRow & { assignments: Assignment[]; pupils: GroupPupil[] }>(
    trx,
    'group-with-assignments-and-pupils',
    `select g.*,
            coalesce((select json_agg(json_build_object('user_id', gs.user_id, 'role', gs.role) order by gs.role)
                        from group_staff gs where gs.school_id = g.school_id and gs.group_id = g.id), '[]') as assignments,
            coalesce((select json_agg(json_build_object('id', p.id, 'legal_forename', p.legal_forename, 'preferred_forename', p.preferred_forename,
                               'surname', p.surname, 'year_group', p.year_group, 'date_of_birth', p.date_of_birth, 'upn', p.upn,
                               'restricted_at', p.restricted_at) order by p.surname, p.legal_forename)
                        from group_members gm join pupils p on p.id = gm.pupil_id
                       where gm.school_id = g.school_id and gm.group_id = g.id and p.school_id = g.school_id and ${onRoll}), '[]') as pupils
       from groups g where g.id = ? and g.school_id = ?`,
    [groupId, staff.schoolId],
  );
  const found = rows[0];
  if (!found) throw new NotFound('class or group');
  const { assignments, pupils, ...group } = found;
  assert(staff, 'group.read', {
    group: { archived: !!group.archived_at, staffIds: assignments.map((s) => s.user_id) },
  });
  const people = await assignedPeople(trx, assignments);
  const staffNames: GroupStaff[] = people(assignments);
  return { group, pupils, staff: staffNames };
}

/** The members of any group of the school that this member of staff may see (no assignment needed). */
export async function visibleGroupMembers(trx: Tx, staff: StaffActor, groupId: string): Promise<PupilListItem[]> {
  assertStaff(staff, 'pupil.list');
  return applyPupilScope(
    trx('pupils as p').join('group_members as gm', 'gm.pupil_id', 'p.id').where('gm.group_id', groupId),
    pupilScope(staff),
  )
    .select(pupilColumns)
    .orderBy(['p.surname', 'p.legal_forename']);
}

/**
 * Of these groups, the ones this member of staff may open (the policy's group.read: whole-school
 * roles any current group, others only those they work with), so pages link only to those.
 */
export async function openableGroupIds(trx: Tx, staff: StaffActor, groupIds: readonly string[]): Promise<Set<string>> {
  if (!groupIds.length) return new Set();
  const rows: { id: string; archived_at: Date | null; staff_ids: string[] }[] = await trx('groups as g')
    .where('g.school_id', staff.schoolId)
    .whereIn('g.id', [...new Set(groupIds)])
    .select(
      'g.id',
      'g.archived_at',
      trx.raw(
        `coalesce((select json_agg(gs.user_id) from group_staff gs where gs.group_id = g.id), '[]') as staff_ids`,
      ),
    );
  return new Set(
    rows
      .filter((g) => can(staff, 'group.read', { group: { archived: !!g.archived_at, staffIds: g.staff_ids } }))
      .map((g) => g.id),
  );
}

/** The groups a pupil belongs to (for other modules, e.g. interventions). */
export async function groupIdsOf(trx: Tx, staff: StaffActor, pupilId: string): Promise<string[]> {
  assertStaff(staff, 'pupil.read');
  return trx('group_members').where({ school_id: staff.schoolId, pupil_id: pupilId }).pluck('group_id');
}

/** A class or group with its pupils, as far as this member of staff may see them. Audited. */
export async function groupWithPupils(db: Database, actor: Actor, groupId: string) {
  const staff = assertStaff(actor, 'group.read');
  return db.withActor(staff, async (trx) => {
    const data = await loadGroupForStaff(trx, staff, groupId);
    await audit.recordRead(trx, staff, {
      action: 'group.viewed',
      entityType: 'group',
      entityId: groupId,
      meta: { pupils: data.pupils.length },
    });
    return data;
  });
}
