import { Model, type ModelObject } from 'objection';
import type { Role } from '../../policy/index.js';
import type { ConcernRules } from './concern-rules.js';

/**
 * Objection models of tenancy's own tables: one class per table, the only definition of its row,
 * used for reading or writing one row by its key (`findById`, `findOne` on a unique column,
 * `insert`, `findById(…).patch`). Set-based reads, joins, reports and one-round-trip SQL use knex
 * (CONTEXT.md says why). No other module uses these: they ask tenancy's index.
 *
 * The models are never bound to a global knex (no `Model.knex()`): every query is given the actor's
 * transaction, `User.query(trx)`, so row-level security always sees who is asking. A query
 * without one fails instead of running outside RLS. Fields are `declare`d so a row read with some
 * columns carries only those (no undefined own properties from class fields).
 */

export type OrganisationKind = 'school' | 'trust' | 'local_authority';

export class Organisation extends Model {
  static override tableName = 'organisations';
  declare id: string;
  declare kind: OrganisationKind;
  declare name: string;
  declare trust_id: string | null;
  declare la_id: string | null;
  declare phase: string | null;
  declare urn: string | null;
  declare la_code: string | null;
  declare establishment_number: string | null;
}

export class User extends Model {
  static override tableName = 'users';
  declare id: string;
  declare kind: 'staff' | 'parent' | 'operator';
  declare email: string;
  declare title: string | null;
  declare given_name: string;
  declare family_name: string;
  declare job_title: string | null;
  declare password_hash: string | null;
  declare password_changed_at: Date | null;
  declare disabled_at: Date | null;
  declare updated_at: Date;
  declare version: number;
}

/** One row per school (its key is the school's id). */
export class SchoolSettings extends Model {
  static override tableName = 'school_settings';
  static override idColumn = 'school_id';
  // jsonb: objection writes it as JSON text (knex would send a JS array as a PostgreSQL array).
  static override jsonAttributes = ['concern_rules'];
  declare school_id: string;
  declare share_with_trust: boolean;
  declare share_with_la: boolean;
  declare mis_import_allowed: boolean;
  declare dsl_name: string | null;
  declare dsl_contact: string | null;
  declare deputy_dsl_name: string | null;
  declare deputy_dsl_contact: string | null;
  /** As stored: a school may have set only some of the rules; `parseConcernRules` fills the rest. */
  declare concern_rules: Partial<ConcernRules>;
  declare updated_at: Date;
  declare updated_by: string | null;
  declare version: number;
}

export class Invitation extends Model {
  static override tableName = 'invitations';
  declare id: string;
  declare org_id: string;
  declare email: string;
  declare title: string | null;
  declare given_name: string;
  declare family_name: string;
  declare job_title: string | null;
  declare roles: Role[];
  declare group_ids: string[];
  declare token_hash: Buffer;
  declare expires_at: Date;
  declare invited_by: string | null;
  declare created_at: Date;
  declare accepted_at: Date | null;
  declare accepted_by: string | null;
  declare declined_at: Date | null;
  declare revoked_at: Date | null;
}

export class AdminChangeRequest extends Model {
  static override tableName = 'admin_change_requests';
  declare id: string;
  declare org_id: string;
  declare requested_by: string;
  declare email: string;
  declare title: string | null;
  declare given_name: string;
  declare family_name: string;
  declare job_title: string | null;
  declare reason: string;
  declare created_at: Date;
  declare decided_at: Date | null;
  declare decided_by: string | null;
  declare decision: 'approved' | 'refused' | null;
  declare invitation_id: string | null;
}

/** A row's data as a plain object (no model methods): for types of results built from a row. */
export type Row<M extends Model> = ModelObject<M>;
