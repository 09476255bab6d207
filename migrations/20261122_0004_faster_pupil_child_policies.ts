import type { Knex } from 'knex';

/**
 * Faster row-level security for tables about one pupil (scores, contacts, notes …).
 *
 * Before, each row asked `exists (select 1 from pupils where id = pupil_id)`, one lookup per row:
 * a class page reading two thousand scores paid for two thousand lookups. Now the same rule is
 * written directly: staff of the school see rows of the pupils they may see (whole-school roles:
 * all; teachers and TAs: the pupils in their groups, an array computed once per query). It is the
 * same matrix as the pupils policy, so the two are tested together (test/db/rls.test.ts).
 *
 * Also: a `for all` policy's USING applies to SELECT too, so the write rules of scores and note
 * bodies (with their own per-row lookups) were being checked on every read. They are now split
 * into insert, update and delete policies that reads never evaluate.
 */
const staffSeesPupil = (table: string) => `
  ((select app_kind()) = 'system' and ${table}.school_id = (select app_school_id()))
  or ((select app_kind()) = 'staff' and ${table}.school_id = (select app_school_id()) and (
        (select app_roles()) && array['school_admin', 'head', 'dsl', 'senco']
        or ${table}.pupil_id = any ((select app_taught_pupil_ids())::uuid[])))`;

export async function up(knex: Knex): Promise<void> {
  for (const table of [
    'pupil_contacts',
    'pupil_fsm_periods',
    'pupil_support_flags',
    'pupil_history',
    'observations',
    'notes',
  ]) {
    await knex.raw(`drop policy ${table}_read on ${table}`);
    await knex.raw(`create policy ${table}_read on ${table} for select using (${staffSeesPupil(table)})`);
  }
  const scoreWriter = `((select app_kind()) = 'staff' and school_id = (select app_school_id())
      and exists (select 1 from pupils p where p.id = assessment_scores.pupil_id and p.restricted_at is null)
      and exists (select 1 from frameworks f where f.id = assessment_scores.framework_id and f.recorded_by && (select app_roles())))
    or ((select app_kind()) = 'system' and school_id = (select app_school_id()))`;
  await knex.raw('drop policy assessment_scores_write on assessment_scores');
  await knex.raw(`create policy assessment_scores_insert on assessment_scores for insert with check (${scoreWriter})`);
  await knex.raw(
    `create policy assessment_scores_update on assessment_scores for update using (${scoreWriter}) with check (${scoreWriter})`,
  );
  await knex.raw(`create policy assessment_scores_delete on assessment_scores for delete using (${scoreWriter})`);

  const bodyWriter = `((select app_kind()) = 'staff' and school_id = (select app_school_id())
      and exists (select 1 from notes n where n.id = note_bodies.note_id and n.author_id = (select app_user_id())))
    or ((select app_kind()) = 'system' and school_id = (select app_school_id()))`;
  await knex.raw('drop policy note_bodies_write on note_bodies');
  await knex.raw(`create policy note_bodies_insert on note_bodies for insert with check (${bodyWriter})`);
  await knex.raw(
    `create policy note_bodies_update on note_bodies for update using (${bodyWriter}) with check (${bodyWriter})`,
  );
  await knex.raw(`create policy note_bodies_delete on note_bodies for delete using (${bodyWriter})`);

  // Scores carry their term's sequence (academic year × 3 + term), which never changes, so "the
  // latest two scores of each pupil in each domain" is an index walk, not a join and a sort.
  await knex.raw(`
alter table assessment_scores add column term_sequence integer;
-- The owner is subject to row-level security too (FORCE), so the backfill lifts it for this
-- transaction only; otherwise the update would see no rows.
alter table assessment_scores no force row level security;
alter table terms no force row level security;
update assessment_scores s set term_sequence = t.sequence from terms t where t.id = s.term_id;
alter table assessment_scores force row level security;
alter table terms force row level security;
alter table assessment_scores alter column term_sequence set not null;
create index assessment_scores_latest_idx on assessment_scores (school_id, pupil_id, item_id, term_sequence desc) include (value, level_id);
create function assessment_scores_set_sequence() returns trigger language plpgsql as $$
begin
  select sequence into new.term_sequence from terms where id = new.term_id;
  if new.term_sequence is null then raise exception 'unknown term'; end if;
  return new;
end $$;
create trigger assessment_scores_set_sequence before insert or update of term_id on assessment_scores
  for each row execute function assessment_scores_set_sequence();`);

  // Users: the colleagues an actor may see, as arrays computed once per query, not a lookup per row.
  await knex.raw(`
create function app_visible_user_ids() returns uuid[] language sql stable parallel safe as $$
  select coalesce(array_agg(distinct u), '{}'::uuid[]) from (
    select m.user_id as u from memberships m
     where (app_kind() = 'staff' and m.org_id = app_school_id())
        or (app_kind() in ('trust', 'la') and m.org_id = app_org_id())
        or (app_kind() = 'operator' and m.role in ('school_admin', 'trust_admin', 'la_officer', 'operator_admin'))
    union all
    select pl.parent_user_id from parent_links pl where app_kind() = 'staff' and pl.school_id = app_school_id()
  ) visible
$$;
drop policy users_read on users;
create policy users_read on users for select using (
  id = (select app_user_id())
  or (select app_kind()) = 'system'
  or id = any ((select app_visible_user_ids())::uuid[])
);`);

  await knex.raw('drop policy assessment_scores_read on assessment_scores');
  // Trust and LA users read no pupil-level scores yet: their views are counts and names only.
  await knex.raw(
    `create policy assessment_scores_read on assessment_scores for select using (${staffSeesPupil('assessment_scores')})`,
  );
}

export async function down(): Promise<void> {
  throw new Error('Waypoint migrations are forward-only.');
}
