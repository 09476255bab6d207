import type { Knex } from 'knex';

/**
 * Reading a whole term's scores (the school dashboard, the grid, term date checks) by index alone.
 * The term index gains the framework in its key and the level in its payload, so the dashboard reads
 * the terms it shows straight from the index instead of scanning every score the school has ever
 * kept (which also grew with the years of history).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
drop index assessment_scores_term_idx;
create index assessment_scores_term_idx on assessment_scores (school_id, term_id, framework_id, item_id) include (pupil_id, value, level_id);`);
}

export async function down(): Promise<void> {
  throw new Error('Waypoint migrations are forward-only.');
}
