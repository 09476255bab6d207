import type { Knex } from 'knex';

/**
 * Assessments (P6, P7): frameworks as data, terms, scores, observations, notes (restricted bodies
 * kept apart so row-level security can hide them), interventions, and the school's safeguarding
 * prompt rules. Prompts themselves are never stored anywhere (P16): there is no table for them.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(String.raw`
create table frameworks (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references organisations (id),
  kind text not null check (kind in ('wellbeing', 'attainment', 'end_of_key_stage')),
  name text not null check (length(name) between 1 and 100),
  description text check (length(description) <= 1000),
  -- Who may record it: school roles.
  recorded_by text[] not null default '{school_admin,head,dsl,senco,teacher}',
  archived_at timestamptz,
  created_at timestamptz not null default now(),
  version integer not null default 1,
  unique (school_id, id)
);
create index frameworks_school_idx on frameworks (school_id, kind);

create table framework_items (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null,
  framework_id uuid not null,
  name text not null check (length(name) between 1 and 100),
  position integer not null,
  -- The domain the "feeling safe" prompt rule watches (wellbeing frameworks).
  is_safety_domain boolean not null default false,
  archived_at timestamptz,
  unique (school_id, id),
  foreign key (school_id, framework_id) references frameworks (school_id, id)
);
create index framework_items_school_idx on framework_items (school_id, framework_id, position);

create table framework_levels (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null,
  framework_id uuid not null,
  value integer not null,
  label text not null check (length(label) between 1 and 100),
  short_label text not null check (length(short_label) between 1 and 12),
  descriptor text check (length(descriptor) <= 300),
  -- Counts towards "% at expected or above" (attainment).
  meets_expected boolean not null default false,
  unique (school_id, id),
  unique (framework_id, value),
  foreign key (school_id, framework_id) references frameworks (school_id, id)
);
create index framework_levels_school_idx on framework_levels (school_id, framework_id, value);

create table terms (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references organisations (id),
  academic_year integer not null check (academic_year between 2000 and 2100),
  name text not null check (name in ('Autumn', 'Spring', 'Summer')),
  -- academic_year * 3 + 0/1/2: orders terms across years.
  sequence integer not null,
  starts_on date not null,
  ends_on date not null,
  check (ends_on >= starts_on),
  unique (school_id, id),
  unique (school_id, academic_year, name)
);
create index terms_school_idx on terms (school_id, sequence);

create table assessment_scores (
  id bigint generated always as identity primary key,
  school_id uuid not null,
  pupil_id uuid not null,
  framework_id uuid not null,
  item_id uuid not null,
  term_id uuid not null,
  level_id uuid not null,
  -- The level's value, kept here so aggregates need no join.
  value integer not null,
  assessed_on date not null,
  recorded_by uuid references users (id),
  recorded_at timestamptz not null default now(),
  version integer not null default 1,
  unique (school_id, pupil_id, item_id, term_id),
  foreign key (school_id, pupil_id) references pupils (school_id, id) on delete cascade,
  foreign key (school_id, framework_id) references frameworks (school_id, id),
  foreign key (school_id, item_id) references framework_items (school_id, id),
  foreign key (school_id, term_id) references terms (school_id, id),
  -- A level in use cannot be deleted.
  foreign key (school_id, level_id) references framework_levels (school_id, id) on delete restrict
);
create index assessment_scores_term_idx on assessment_scores (school_id, term_id, item_id) include (pupil_id, value);

create table observations (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null,
  pupil_id uuid not null,
  observed_on date not null,
  body text not null check (length(body) between 1 and 2000),
  item_ids uuid[] not null default '{}',
  author_id uuid not null references users (id),
  created_at timestamptz not null default now(),
  foreign key (school_id, pupil_id) references pupils (school_id, id) on delete cascade
);
create index observations_pupil_idx on observations (school_id, pupil_id, observed_on desc);

/* Notes: who wrote what, when and how sensitive is visible to staff who can see the pupil; the
   text of a restricted note (note_bodies) only to the DSL, the head, the school admin and the author. */
create table notes (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null,
  pupil_id uuid not null,
  sensitivity text not null check (sensitivity in ('standard', 'restricted')),
  author_id uuid not null references users (id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version integer not null default 1,
  unique (school_id, id),
  foreign key (school_id, pupil_id) references pupils (school_id, id) on delete cascade
);
create index notes_pupil_idx on notes (school_id, pupil_id, created_at desc);

create table note_bodies (
  note_id uuid primary key,
  school_id uuid not null,
  body text not null check (length(body) between 1 and 10000),
  foreign key (school_id, note_id) references notes (school_id, id) on delete cascade
);
create index note_bodies_school_idx on note_bodies (school_id, note_id);

create table interventions (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references organisations (id),
  name text not null check (length(name) between 1 and 100),
  type text not null check (length(type) between 1 and 100),
  lead_user_id uuid references users (id),
  group_id uuid not null,
  start_date date not null,
  end_date date,
  frequency text check (length(frequency) <= 100),
  status text not null check (status in ('planned', 'running', 'ended', 'discontinued')),
  created_at timestamptz not null default now(),
  version integer not null default 1,
  check (end_date is null or end_date >= start_date),
  unique (school_id, id),
  foreign key (school_id, group_id) references groups (school_id, id)
);
create index interventions_school_idx on interventions (school_id, status, start_date);

create table intervention_targets (
  school_id uuid not null,
  intervention_id uuid not null,
  item_id uuid not null,
  primary key (intervention_id, item_id),
  foreign key (school_id, intervention_id) references interventions (school_id, id) on delete cascade,
  foreign key (school_id, item_id) references framework_items (school_id, id)
);
create index intervention_targets_school_idx on intervention_targets (school_id, item_id);

/* The school's safeguarding prompt rules (configuration only; prompts are never stored). */
alter table school_settings add column concern_rules jsonb not null
  default '{"anyScoreOfOne": true, "dropOf": 2, "safetyDomainAtOrBelow": 2}';

-- Row-level security -------------------------------------------------------------------------------
alter table frameworks enable row level security;
alter table frameworks force row level security;
alter table framework_items enable row level security;
alter table framework_items force row level security;
alter table framework_levels enable row level security;
alter table framework_levels force row level security;
alter table terms enable row level security;
alter table terms force row level security;
alter table assessment_scores enable row level security;
alter table assessment_scores force row level security;
alter table observations enable row level security;
alter table observations force row level security;
alter table notes enable row level security;
alter table notes force row level security;
alter table note_bodies enable row level security;
alter table note_bodies force row level security;
alter table interventions enable row level security;
alter table interventions force row level security;
alter table intervention_targets enable row level security;
alter table intervention_targets force row level security;
`);

  // School set-up data: read by the school's staff (and trust/LA users of sharing schools, who may
  // see scores); changed by school admins, or the system.
  for (const table of ['frameworks', 'framework_items', 'framework_levels', 'terms']) {
    await knex.raw(`
create policy ${table}_read on ${table} for select using (
  ((select app_kind()) in ('staff', 'system') and school_id = (select app_school_id()))
  or ((select app_kind()) in ('trust', 'la') and school_id = any ((select app_shared_school_ids())::uuid[]))
);
create policy ${table}_write on ${table} for all using (
  ((select app_kind()) = 'staff' and school_id = (select app_school_id()) and (select app_roles()) && array['school_admin'])
  or ((select app_kind()) = 'system' and school_id = (select app_school_id()))
);`);
  }

  await knex.raw(`
create policy assessment_scores_read on assessment_scores for select using (
  (select app_kind()) in ('staff', 'system', 'trust', 'la')
  and exists (select 1 from pupils p where p.id = assessment_scores.pupil_id)
);
create policy assessment_scores_write on assessment_scores for all using (
  ((select app_kind()) = 'staff' and school_id = (select app_school_id())
    and exists (select 1 from pupils p where p.id = assessment_scores.pupil_id and p.restricted_at is null)
    and exists (select 1 from frameworks f where f.id = assessment_scores.framework_id and f.recorded_by && (select app_roles())))
  or ((select app_kind()) = 'system' and school_id = (select app_school_id()))
);

create policy observations_read on observations for select using (
  (select app_kind()) in ('staff', 'system') and school_id = (select app_school_id())
  and exists (select 1 from pupils p where p.id = observations.pupil_id)
);
create policy observations_insert on observations for insert with check (
  ((select app_kind()) = 'staff' and school_id = (select app_school_id()) and author_id = (select app_user_id())
    and exists (select 1 from pupils p where p.id = observations.pupil_id and p.restricted_at is null))
  or ((select app_kind()) = 'system' and school_id = (select app_school_id()))
);

create policy notes_read on notes for select using (
  (select app_kind()) in ('staff', 'system') and school_id = (select app_school_id())
  and exists (select 1 from pupils p where p.id = notes.pupil_id)
);
create policy notes_insert on notes for insert with check (
  ((select app_kind()) = 'staff' and school_id = (select app_school_id()) and author_id = (select app_user_id())
    and (select app_roles()) && array['school_admin', 'head', 'dsl', 'senco', 'teacher']
    and exists (select 1 from pupils p where p.id = notes.pupil_id and p.restricted_at is null))
  or ((select app_kind()) = 'system' and school_id = (select app_school_id()))
);
create policy notes_update on notes for update using (
  ((select app_kind()) = 'staff' and school_id = (select app_school_id()) and author_id = (select app_user_id()))
  or ((select app_kind()) = 'system' and school_id = (select app_school_id()))
);

create policy note_bodies_read on note_bodies for select using (
  (select app_kind()) in ('staff', 'system') and school_id = (select app_school_id())
  and exists (select 1 from notes n where n.id = note_bodies.note_id and (
    n.sensitivity = 'standard'
    or (select app_roles()) && array['dsl', 'head', 'school_admin']
    or n.author_id = (select app_user_id())
    or (select app_kind()) = 'system'))
);
create policy note_bodies_write on note_bodies for all using (
  ((select app_kind()) = 'staff' and school_id = (select app_school_id())
    and exists (select 1 from notes n where n.id = note_bodies.note_id and n.author_id = (select app_user_id())))
  or ((select app_kind()) = 'system' and school_id = (select app_school_id()))
);

create policy interventions_read on interventions for select using (
  (select app_kind()) in ('staff', 'system') and school_id = (select app_school_id())
);
create policy interventions_write on interventions for all using (
  ((select app_kind()) = 'staff' and school_id = (select app_school_id()) and (select app_roles()) && array['school_admin', 'head', 'senco'])
  or ((select app_kind()) = 'system' and school_id = (select app_school_id()))
);
create policy intervention_targets_read on intervention_targets for select using (
  (select app_kind()) in ('staff', 'system') and school_id = (select app_school_id())
);
create policy intervention_targets_write on intervention_targets for all using (
  ((select app_kind()) = 'staff' and school_id = (select app_school_id()) and (select app_roles()) && array['school_admin', 'head', 'senco'])
  or ((select app_kind()) = 'system' and school_id = (select app_school_id()))
);
`);
}

export async function down(): Promise<void> {
  throw new Error('Waypoint migrations are forward-only.');
}
