import type { Knex } from 'knex';

/**
 * The pupils policy's parent branch used a sub-query on parent_links, whose own policy Postgres
 * then planned into every pupil query. A parent's children are now an array computed once per query
 * (like a teacher's pupils), which keeps plans small. Same rule, cheaper to plan.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
create function app_parent_pupil_ids() returns uuid[] language sql stable parallel safe as $$
  select coalesce(array_agg(pl.pupil_id), '{}'::uuid[]) from parent_links pl
   where app_kind() = 'parent' and pl.parent_user_id = app_user_id()
$$;
drop policy pupils_read on pupils;
create policy pupils_read on pupils for select using (
  ((select app_kind()) = 'staff' and school_id = (select app_school_id()) and (
      (select app_roles()) && array['school_admin', 'head', 'dsl', 'senco']
      or id = any ((select app_taught_pupil_ids())::uuid[])))
  or ((select app_kind()) in ('trust', 'la') and restricted_at is null
      and school_id = any ((select app_shared_school_ids())::uuid[]))
  or ((select app_kind()) = 'parent' and id = any ((select app_parent_pupil_ids())::uuid[]))
  or ((select app_kind()) = 'system' and school_id = (select app_school_id()))
);`);
}

export async function down(): Promise<void> {
  throw new Error('Waypoint migrations are forward-only.');
}
