import type { Tx } from '../../db/index.js';
import type { Role } from '../../policy/index.js';

export interface UserRow {
  id: string;
  kind: 'staff' | 'parent' | 'operator';
  email: string;
  title: string | null;
  given_name: string;
  family_name: string;
  job_title: string | null;
  password_hash: string | null;
  disabled_at: Date | null;
  version: number;
}

export interface MembershipRow {
  id: string;
  org_id: string | null;
  org_kind: 'school' | 'trust' | 'local_authority' | null;
  org_name: string | null;
  role: Role;
}

export const normaliseEmail = (email: string) => email.trim().toLowerCase();

export function fullName(u: { title?: string | null; given_name: string; family_name: string }): string {
  return `${u.given_name} ${u.family_name}`;
}

export async function userById(trx: Tx, id: string): Promise<UserRow | undefined> {
  return trx<UserRow>('users').where({ id }).first();
}

export async function userByEmail(trx: Tx, email: string): Promise<UserRow | undefined> {
  return trx<UserRow>('users').where({ email: normaliseEmail(email) }).first();
}

/** A user's live roles, with the organisations they hold them in. */
export async function activeMemberships(trx: Tx, userId: string): Promise<MembershipRow[]> {
  return trx('memberships as m')
    .leftJoin('organisations as o', 'o.id', 'm.org_id')
    .where('m.user_id', userId)
    .whereNull('m.disabled_at')
    .select('m.id', 'm.org_id', 'o.kind as org_kind', 'o.name as org_name', 'm.role')
    .orderBy([{ column: 'o.name' }, { column: 'm.role' }]);
}

export async function updatePasswordHash(trx: Tx, userId: string, hash: string): Promise<void> {
  await trx('users')
    .where({ id: userId })
    .update({ password_hash: hash, password_changed_at: trx.fn.now(), updated_at: trx.fn.now() });
}

/** Ends every stored session of a user (A3, S4). The session table is outside RLS. */
export async function deleteSessionsOf(trx: Tx, userId: string, exceptSid?: string): Promise<number> {
  const q = trx('session').whereRaw(`sess #>> '{auth,userId}' = ?`, [userId]);
  if (exceptSid) q.whereNot('sid', exceptSid);
  return q.del();
}

export interface OrganisationRow {
  id: string;
  kind: 'school' | 'trust' | 'local_authority';
  name: string;
  trust_id: string | null;
  la_id: string | null;
  phase: string | null;
  urn: string | null;
  la_code: string | null;
  establishment_number: string | null;
}

export async function organisationById(trx: Tx, id: string): Promise<OrganisationRow | undefined> {
  return trx<OrganisationRow>('organisations').where({ id }).first();
}
