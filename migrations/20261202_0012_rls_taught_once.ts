import type { Knex } from 'knex';

/**
 * A teacher's pupils once per transaction, not once per statement. The policies of pupils and of
 * every table about one pupil ask `app_taught_pupil_ids()`, which joined the actor's groups, their
 * staff and members again in every statement; a class page paid for it four times. withActor now
 * computes the set at BEGIN (src/db/actor-sql.ts) into `app.taught_pupils`, with `app.taught_for`
 * naming the user and school it was computed for, and the function returns it while the actor is
 * that one. Otherwise (no set, another actor, or the set cleared) it computes as before, so the rule
 * is unchanged and the policies need no change.
 *
 * The set must never be stale: a change to groups (archiving), group_staff or group_members in the
 * transaction clears it at the end of that statement, so a teacher given a group mid-transaction
 * sees its pupils from the next statement on, as before. Whole-school roles do not use it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
create or replace function app_taught_pupil_ids() returns uuid[] language sql stable parallel safe as $$
  select case
    when nullif(current_setting('app.taught_for', true), '') = app_user_id()::text || '/' || app_school_id()::text
      then current_setting('app.taught_pupils', true)::uuid[]
    else (select coalesce(array_agg(distinct gm.pupil_id), '{}'::uuid[])
            from group_staff gs
            join groups g on g.id = gs.group_id and g.archived_at is null
            join group_members gm on gm.group_id = gs.group_id
           where gs.user_id = app_user_id() and gs.school_id = app_school_id())
  end
$$;

create function app_forget_taught_pupils() returns trigger language plpgsql as $$
begin
  perform set_config('app.taught_for', '', true);
  return null;
end
$$;

create trigger groups_forget_taught_pupils after insert or update or delete or truncate on groups
  for each statement execute function app_forget_taught_pupils();
create trigger group_staff_forget_taught_pupils after insert or update or delete or truncate on group_staff
  for each statement execute function app_forget_taught_pupils();
create trigger group_members_forget_taught_pupils after insert or update or delete or truncate on group_members
  for each statement execute function app_forget_taught_pupils();`);
}

export async function down(): Promise<void> {
  throw new Error('Waypoint migrations are forward-only.');
}
