import type { Knex } from 'knex';

/**
 * P29: a restricted pupil's record is read-only. The app refuses such writes; these policies refuse
 * them again for the tables about one pupil (contacts, FSM periods, support flags, notes and their
 * bodies), as scores and observations already did. A staff write needs the pupil to be visible to
 * that member of staff and not restricted. The system actor (imports, jobs) is unchanged.
 */
const leaders = `array['school_admin', 'head', 'dsl', 'senco']`;
const unrestricted = (table: string) =>
  `exists (select 1 from pupils p where p.id = ${table}.pupil_id and p.restricted_at is null)`;
const system = `((select app_kind()) = 'system' and school_id = (select app_school_id()))`;

export async function up(knex: Knex): Promise<void> {
  for (const table of ['pupil_fsm_periods', 'pupil_contacts', 'pupil_support_flags']) {
    const staffWriter = `((select app_kind()) = 'staff' and school_id = (select app_school_id())
      and (select app_roles()) && ${leaders} and ${unrestricted(table)})`;
    await knex.raw(`
drop policy ${table}_insert on ${table};
drop policy ${table}_change on ${table};
drop policy ${table}_remove on ${table};
create policy ${table}_insert on ${table} for insert with check (${staffWriter} or ${system});
create policy ${table}_change on ${table} for update using (${staffWriter} or ${system}) with check (${staffWriter} or ${system});
create policy ${table}_remove on ${table} for delete using (${staffWriter} or ${system});`);
  }

  const noteAuthor = `((select app_kind()) = 'staff' and school_id = (select app_school_id())
      and author_id = (select app_user_id()) and ${unrestricted('notes')})`;
  await knex.raw(`
drop policy notes_update on notes;
create policy notes_update on notes for update using (${noteAuthor} or ${system}) with check (${noteAuthor} or ${system});`);

  const bodyWriter = `((select app_kind()) = 'staff' and school_id = (select app_school_id())
      and exists (select 1 from notes n join pupils p on p.id = n.pupil_id
                   where n.id = note_bodies.note_id and n.author_id = (select app_user_id()) and p.restricted_at is null))`;
  await knex.raw(`
drop policy note_bodies_insert on note_bodies;
drop policy note_bodies_update on note_bodies;
drop policy note_bodies_delete on note_bodies;
create policy note_bodies_insert on note_bodies for insert with check (${bodyWriter} or ${system});
create policy note_bodies_update on note_bodies for update using (${bodyWriter} or ${system}) with check (${bodyWriter} or ${system});
create policy note_bodies_delete on note_bodies for delete using (${bodyWriter} or ${system});`);
}

export async function down(): Promise<void> {
  throw new Error('Waypoint migrations are forward-only.');
}
