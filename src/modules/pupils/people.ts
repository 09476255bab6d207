import type { Tx } from '../../db/index.js';
import { directory } from '../tenancy/index.js';

/**
 * Staff names for pupils' pages, asked of tenancy (which owns users) in the caller's transaction.
 * One lookup for a whole page: collect the user ids first, then name them.
 */

/** A function from a user id to "Given Family" (null for none, or someone the caller may not see). */
export async function namesOf(
  trx: Tx,
  userIds: readonly (string | null)[],
): Promise<(id: string | null) => string | null> {
  const names = await directory.displayNames(trx, userIds);
  return (id) => (id ? (names.get(id) ?? null) : null);
}

export interface Assignment {
  user_id: string;
  role: string;
}

export interface AssignedPerson extends Assignment {
  given_name: string;
  family_name: string;
}

/**
 * Names the people assigned to groups: one lookup for the whole page, then, for each group's list,
 * its people ordered by role and then family name. Someone the caller may not see is left out, as
 * a join would leave them out.
 */
export async function assignedPeople(
  trx: Tx,
  assignments: readonly Assignment[],
): Promise<(list: readonly Assignment[]) => AssignedPerson[]> {
  const people = await directory.peopleNamed(
    trx,
    assignments.map((a) => a.user_id),
  );
  // peopleNamed comes ordered by family name; sorting by role, then that order, gives the old SQL order.
  const rank = new Map(people.map((p, i) => [p.id, i]));
  const byId = new Map(people.map((p) => [p.id, p]));
  return (list) =>
    list
      .filter((a) => byId.has(a.user_id))
      .sort((a, b) => (a.role < b.role ? -1 : a.role > b.role ? 1 : rank.get(a.user_id)! - rank.get(b.user_id)!))
      .map((a) => ({
        user_id: a.user_id,
        given_name: byId.get(a.user_id)!.given_name,
        family_name: byId.get(a.user_id)!.family_name,
        role: a.role,
      }));
}

/** As `assignedPeople`, as "Given Family" names. */
export async function assignedNames(
  trx: Tx,
  assignments: readonly Assignment[],
): Promise<(list: readonly Assignment[]) => string[]> {
  const people = await assignedPeople(trx, assignments);
  return (list) => people(list).map((p) => directory.displayName(p));
}

/** Each group's staff assignments, as one json column (names are tenancy's, asked for afterwards). */
export const assignmentsColumn = (trx: Tx) =>
  trx.raw(`coalesce((select json_agg(json_build_object('user_id', gs.user_id, 'role', gs.role))
                       from group_staff gs where gs.group_id = g.id), '[]') as assignments`);

/** Replaces each row's `assignments` with `staff`: the names, by role and then family name. */
export async function withStaffNames<T extends { assignments: Assignment[] }>(
  trx: Tx,
  rows: T[],
): Promise<(Omit<T, 'assignments'> & { staff: string[] })[]> {
  const names = await assignedNames(
    trx,
    rows.flatMap((r) => r.assignments),
  );
  return rows.map(({ assignments, ...row }) => ({ ...row, staff: names(assignments) }));
}
