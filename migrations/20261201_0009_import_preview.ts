import type { Knex } from 'knex';

/**
 * The preview of an uploaded MIS file is worked out once, at upload, and kept here: a bounded
 * summary (counts, the first problems of each column, the first rows shown, the fingerprint that
 * confirm checks). Opening the preview no longer parses the file again, so a hostile file cannot
 * cost the parse on every view. The column is covered by import_files' row-level security and
 * grants like every other column; it is cleared when the import is applied or cancelled, since it
 * holds pupil names and is not needed after that.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`alter table import_files add column preview jsonb;`);
}

export async function down(): Promise<void> {
  throw new Error('Waypoint migrations are forward-only.');
}
