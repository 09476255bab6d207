import { Model } from 'objection';

/**
 * Objection models for the tenancy tables. They are never bound to a global knex instance
 * (no Model.knex()), so every query must be given the actor's transaction: `User.query(trx)`.
 * A query without one fails instead of silently running outside row-level security.
 */
export class Organisation extends Model {
  static override tableName = 'organisations';
  id!: string;
  kind!: 'school' | 'trust' | 'local_authority';
  name!: string;
  trust_id!: string | null;
  la_id!: string | null;
  phase!: string | null;
  urn!: string | null;
  la_code!: string | null;
  establishment_number!: string | null;
}

export class User extends Model {
  static override tableName = 'users';
  id!: string;
  kind!: 'staff' | 'parent' | 'operator';
  email!: string;
  title!: string | null;
  given_name!: string;
  family_name!: string;
  job_title!: string | null;
  password_hash!: string | null;
  disabled_at!: Date | null;
  version!: number;
}
