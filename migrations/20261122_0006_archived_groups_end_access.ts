import type { Knex } from 'knex';

/**
 * A teacher or teaching assistant sees the pupils of the groups they work with *now*. When a group
 * is archived (last year's class, a finished intervention), it stops giving access, in the app's
 * pupil scope and here in row-level security alike.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
create or replace function app_taught_pupil_ids() returns uuid[] language sql stable parallel safe as $$
  select coalesce(array_agg(distinct gm.pupil_id), '{}'::uuid[])
    from group_staff gs
    join groups g on g.id = gs.group_id and g.archived_at is null
    join group_members gm on gm.group_id = gs.group_id
   where gs.user_id = app_user_id() and gs.school_id = app_school_id()
$$;`);
}

export async function down(): Promise<void> {
  throw new Error('Waypoint migrations are forward-only.');
}
