import type { Tx } from '../../db/index.js';

/**
 * Lookups of a school's people that other modules need (names of authors and leads, who may lead
 * an intervention, the school's DSL), inside the caller's transaction. Tenancy owns `users`,
 * `memberships` and `school_settings`; other modules ask here instead of naming those tables.
 * Row-level security still decides which rows the caller's actor sees.
 */

export interface StaffName {
  id: string;
  given_name: string;
  family_name: string;
}

/** Display names ("Given Family") of these users, by id. */
export async function displayNames(trx: Tx, userIds: readonly (string | null)[]): Promise<Map<string, string>> {
  const ids = [...new Set(userIds.filter((id): id is string => !!id))];
  if (!ids.length) return new Map();
  const rows: StaffName[] = await trx('users').whereIn('id', ids).select('id', 'given_name', 'family_name');
  return new Map(rows.map((u) => [u.id, `${u.given_name} ${u.family_name}`]));
}

/** Everyone with a live membership of the school, by family then given name. */
export async function activeStaffOf(trx: Tx, schoolId: string): Promise<StaffName[]> {
  return trx('users as u')
    .join('memberships as m', 'm.user_id', 'u.id')
    .where('m.org_id', schoolId)
    .whereNull('m.disabled_at')
    .distinct('u.id', 'u.given_name', 'u.family_name')
    .orderBy(['u.family_name', 'u.given_name']);
}

/** Whether this user has a live membership of the school. */
export async function isActiveMember(trx: Tx, schoolId: string, userId: string): Promise<boolean> {
  return !!(await trx('memberships').where({ org_id: schoolId, user_id: userId }).whereNull('disabled_at').first());
}

/** The school's safeguarding settings: its prompt rules (P16, unparsed) and its DSL's name and contact. */
export async function safeguardingSettings(
  trx: Tx,
  schoolId: string,
): Promise<{ concern_rules: unknown; dsl_name: string | null; dsl_contact: string | null } | undefined> {
  return trx('school_settings').where({ school_id: schoolId }).first('concern_rules', 'dsl_name', 'dsl_contact');
}
