import type { Tx } from '../db/index.js';
import { type Actor, type Role } from '../policy/index.js';
import * as audit from '../modules/audit/index.js';
import { type DemoSchool, schools, staffBySchool } from './schools.js';

/** The demo's organisations and their people: trust, LA, schools with settings, operator and staff. */

export async function addUser(
  trx: Tx,
  email: string,
  given: string,
  family: string,
  kind: 'staff' | 'parent' | 'operator',
  hash: string,
  title: string | null,
  jobTitle: string | null,
) {
  const [row] = await trx('users')
    .insert({
      email,
      given_name: given,
      family_name: family,
      kind,
      password_hash: hash,
      password_changed_at: trx.fn.now(),
      title,
      job_title: jobTitle,
    })
    .returning('id');
  return row.id as string;
}

export async function addRole(trx: Tx, userId: string, orgId: string | null, role: Role) {
  await trx('memberships').insert({ user_id: userId, org_id: orgId, role });
}

/** The trust, the LA, the schools and their settings, and the operator, trust and LA accounts. Null if any exist. */
export async function seedOrganisations(trx: Tx, sys: Actor, hash: string): Promise<Record<string, string> | null> {
  const existing = await trx('organisations').count<{ count: number }[]>('* as count');
  if (Number(existing[0]?.count) > 0) return null;
  const insertOrg = async (values: Record<string, unknown>) =>
    (await trx('organisations').insert(values).returning('id'))[0].id as string;
  const trust = await insertOrg({ kind: 'trust', name: 'Northstar Learning Trust' });
  const la = await insertOrg({ kind: 'local_authority', name: 'Westshire Council', la_code: '801' });
  const ids: Record<string, string> = { trust, la };
  for (const s of schools) {
    ids[s.key] = await insertOrg({
      kind: 'school',
      name: s.name,
      phase: s.phase,
      la_code: '801',
      establishment_number: s.establishment,
      trust_id: s.key === 'hillcrest' ? null : trust,
      la_id: s.key === 'hillcrest' ? la : null,
    });
    await trx('school_settings').insert({
      school_id: ids[s.key],
      share_with_trust: s.key === 'oakfield',
      share_with_la: s.key === 'hillcrest',
      dsl_name: s.key === 'oakfield' ? 'Dan Shah' : null,
      dsl_contact: s.key === 'oakfield' ? 'dsl@oakfield.test, ext. 214' : null,
    });
  }
  const op = await addUser(
    trx,
    'operator@waypoint.test',
    'Olu',
    'Operator',
    'operator',
    hash,
    null,
    'Support engineer',
  );
  await addRole(trx, op, null, 'operator_admin');
  const ta = await addUser(
    trx,
    'trust.admin@northstar.test',
    'Tara',
    'Adeyemi',
    'staff',
    hash,
    'Ms',
    'Director of Education',
  );
  await addRole(trx, ta, trust, 'trust_admin');
  const lo = await addUser(
    trx,
    'officer@westshire.test',
    'Leon',
    'Okafor',
    'staff',
    hash,
    'Mr',
    'School improvement officer',
  );
  await addRole(trx, lo, la, 'la_officer');
  await audit.record(trx, sys, { action: 'system.demo_seeded', schoolId: null, orgId: null });
  return ids;
}

/** One school's staff accounts and roles; their ids by email. */
export async function seedStaff(
  trx: Tx,
  school: DemoSchool,
  schoolId: string,
  hash: string,
): Promise<Record<string, string>> {
  const userIds: Record<string, string> = {};
  for (const [email, given, family, title, roles, job] of staffBySchool[school.key]) {
    userIds[email] = await addUser(trx, email, given, family, 'staff', hash, title, job);
    for (const role of roles) await addRole(trx, userIds[email]!, schoolId, role);
  }
  return userIds;
}
