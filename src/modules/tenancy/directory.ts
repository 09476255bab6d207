import type { Knex } from 'knex';
import type { Tx } from '../../db/index.js';
import { type ConcernRules, parseConcernRules } from './concern-rules.js';
import { SchoolSettings } from './models.js';

/**
 * Tenancy's lookups for the modules above it (pupils, assessments, sharing, parents): people's
 * names, who is a member of staff, school settings and which schools share with a trust or LA.
 * They run in the caller's transaction, so row-level security and the caller's audit row cover
 * them; only this module names its tables. Exported from index.ts as `directory`.
 */

export interface PersonName {
  id: string;
  given_name: string;
  family_name: string;
}

/** "Given Family", as staff names are shown beside groups, notes, interventions, history and imports. */
export const displayName = (p: Pick<PersonName, 'given_name' | 'family_name'>): string =>
  `${p.given_name} ${p.family_name}`;

/**
 * The names of these users that the caller may see, ordered by family name (the database's
 * collation). Empty ids (an unset author or lead) are skipped, so callers can pass a column as is.
 */
export async function peopleNamed(trx: Tx, userIds: readonly (string | null)[]): Promise<PersonName[]> {
  const ids = [...new Set(userIds.filter((id): id is string => !!id))];
  if (!ids.length) return [];
  return trx('users')
    .whereIn('id', ids)
    .select('id', 'given_name', 'family_name')
    .orderBy(['family_name', 'given_name']);
}

/** As `peopleNamed`, as "Given Family" by id: someone the caller may not see has no entry. */
export async function displayNames(trx: Tx, userIds: readonly (string | null)[]): Promise<Map<string, string>> {
  return new Map((await peopleNamed(trx, userIds)).map((p) => [p.id, displayName(p)]));
}

/** Everyone with a role at the school that is not disabled, by family then given name, for staff pickers. */
export async function activeStaffOf(trx: Tx, schoolId: string): Promise<PersonName[]> {
  return trx('users as u')
    .join('memberships as m', 'm.user_id', 'u.id')
    .where('m.org_id', schoolId)
    .whereNull('m.disabled_at')
    .distinct('u.id', 'u.given_name', 'u.family_name')
    .orderBy(['u.family_name', 'u.given_name']);
}

/** Whether the user has at least one role at the organisation that is not disabled. */
export async function isActiveMemberOf(trx: Tx, orgId: string, userId: string): Promise<boolean> {
  return !!(await trx('memberships').where({ org_id: orgId, user_id: userId }).whereNull('disabled_at').first('role'));
}

/** Whether the school's admin has allowed MIS imports (school_settings). */
export async function misImportAllowed(trx: Tx, schoolId: string): Promise<boolean> {
  const row = await SchoolSettings.query(trx).findById(schoolId).select('mis_import_allowed');
  return !!row?.mis_import_allowed;
}

export interface SafeguardingSettings {
  /** The P16 prompt thresholds, with the default for any the school has not set. */
  concern_rules: ConcernRules;
  dsl_name: string | null;
  dsl_contact: string | null;
  deputy_dsl_name: string | null;
  deputy_dsl_contact: string | null;
}

/** The school's safeguarding settings: its prompt rules (P16) and its DSL's and deputy's names and contacts. */
export async function safeguardingSettings(trx: Tx, schoolId: string): Promise<SafeguardingSettings> {
  const row = await SchoolSettings.query(trx)
    .findById(schoolId)
    .select('concern_rules', 'dsl_name', 'dsl_contact', 'deputy_dsl_name', 'deputy_dsl_contact');
  return {
    concern_rules: parseConcernRules(row?.concern_rules),
    dsl_name: row?.dsl_name ?? null,
    dsl_contact: row?.dsl_contact ?? null,
    deputy_dsl_name: row?.deputy_dsl_name ?? null,
    deputy_dsl_contact: row?.deputy_dsl_contact ?? null,
  };
}

/** Which kind of organisation looks at schools: a trust (academy chain) or a local authority. */
export type SharingVia = 'trust' | 'la';

export interface SchoolSharing {
  id: string;
  name: string;
  phase: string | null;
  /** The school's own setting (P2, P3), read on every request. */
  shared: boolean;
}

/** A trust's or LA's schools by name, each with whether it shares pupil-level data with them now. */
export async function schoolsOf(trx: Tx, via: SharingVia, orgId: string): Promise<SchoolSharing[]> {
  return trx('organisations as o')
    .join('school_settings as s', 's.school_id', 'o.id')
    .where(via === 'trust' ? 'o.trust_id' : 'o.la_id', orgId)
    .select(
      'o.id',
      'o.name',
      'o.phase',
      trx.raw(`${via === 'trust' ? 's.share_with_trust' : 's.share_with_la'} as shared`),
    )
    .orderBy('o.name');
}

/**
 * Fills `sub` (a subquery, e.g. the `this` of a `whereIn` callback) with the ids of the schools that
 * share with this trust or LA now, so a pupil query stays one round trip.
 */
export function selectSchoolsSharingWith(sub: Knex.QueryBuilder, via: SharingVia, orgId: string): Knex.QueryBuilder {
  return sub
    .select('s.school_id')
    .from('school_settings as s')
    .join('organisations as o', 'o.id', 's.school_id')
    .where(via === 'trust' ? 'o.trust_id' : 'o.la_id', orgId)
    .where(via === 'trust' ? 's.share_with_trust' : 's.share_with_la', true);
}

/** The names of these organisations that the caller may see, by id. */
export async function organisationNames(trx: Tx, ids: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  if (!unique.length) return new Map();
  const rows: { id: string; name: string }[] = await trx('organisations').whereIn('id', unique).select('id', 'name');
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** A school's phase (primary, secondary…), or null when none was given; pupils offers its year groups by it. */
export async function schoolPhase(trx: Tx, schoolId: string): Promise<string | null> {
  const row = await trx('organisations').where({ id: schoolId }).first('phase');
  return row?.phase ?? null;
}
