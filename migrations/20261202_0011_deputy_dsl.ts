import type { Knex } from 'knex';

/**
 * A deputy designated safeguarding lead: staff who are prompted to consider the school's
 * safeguarding procedure are told whom to speak to when the DSL is away (issue 15). Like the
 * DSL's own fields, a name and free-text contact details, both optional.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(String.raw`
alter table school_settings
  add column deputy_dsl_name text check (length(deputy_dsl_name) <= 200),
  add column deputy_dsl_contact text check (length(deputy_dsl_contact) <= 200);
`);
}

export async function down(): Promise<void> {
  throw new Error('Waypoint migrations are forward-only.');
}
