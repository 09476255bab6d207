import type { Knex } from 'knex';

/**
 * Pupil records in full (P5): characteristics, SEN, attendance, FSM periods, contacts,
 * school-defined support flags, the per-field change history (P28) and stored MIS import files
 * (P23, P31). Child tables are visible exactly when their pupil is: their policies look the pupil up
 * through `pupils`, whose own policy then applies.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(String.raw`
create function year_group_rank(year_group text) returns integer language sql immutable parallel safe
  as $$ select array_position(array['N', 'R', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13'], year_group) $$;

alter table pupils
  add column ethnicity text check (ethnicity in ('WBRI', 'WIRI', 'WIRT', 'WOTH', 'WROM', 'MWBC', 'MWBA', 'MWAS', 'MOTH',
    'AIND', 'APKN', 'ABAN', 'AOTH', 'BCRB', 'BAFR', 'BOTH', 'CHNE', 'OOTH', 'REFU', 'NOBT')),
  add column first_language text check (length(first_language) <= 100),
  add column eal boolean not null default false,
  add column looked_after boolean not null default false,
  add column service_child boolean not null default false,
  add column sen_status text not null default 'N' check (sen_status in ('N', 'K', 'E')),
  add column sen_primary_need text check (sen_primary_need in ('SPLD', 'MLD', 'SLD', 'PMLD', 'SLCN', 'SEMH', 'ASD', 'VI', 'HI', 'MSI', 'PD', 'NSA')),
  add column sen_secondary_need text check (sen_secondary_need in ('SPLD', 'MLD', 'SLD', 'PMLD', 'SLCN', 'SEMH', 'ASD', 'VI', 'HI', 'MSI', 'PD', 'NSA')),
  add column attendance_percent numeric(5, 2) check (attendance_percent between 0 and 100),
  -- The values as of the last MIS import, to tell a local edit from an MIS change (conflicts).
  add column mis_snapshot jsonb,
  add column last_imported_at timestamptz,
  add constraint pupils_sen_needs check (sen_status <> 'N' or (sen_primary_need is null and sen_secondary_need is null)),
  add constraint pupils_leaving check ((leaving_date is null) = (leaving_reason is null));

-- A restricted pupil (P29) is read-only; only a school admin may change it (to lift the restriction).
drop policy pupils_update on pupils;
create policy pupils_update on pupils for update using (
  ((select app_kind()) = 'staff' and school_id = (select app_school_id())
    and (select app_roles()) && array['school_admin', 'head', 'dsl', 'senco']
    and (restricted_at is null or (select app_roles()) && array['school_admin']))
  or ((select app_kind()) = 'system' and school_id = (select app_school_id()))
) with check (
  ((select app_kind()) = 'staff' and school_id = (select app_school_id())
    and (select app_roles()) && array['school_admin', 'head', 'dsl', 'senco'])
  or ((select app_kind()) = 'system' and school_id = (select app_school_id()))
);

create index pupils_school_year_idx on pupils (school_id, year_group_rank(year_group), surname);
create index pupils_school_leaving_idx on pupils (school_id, leaving_date);

create table pupil_fsm_periods (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null,
  pupil_id uuid not null,
  start_date date not null,
  end_date date,
  created_at timestamptz not null default now(),
  foreign key (school_id, pupil_id) references pupils (school_id, id) on delete cascade,
  check (end_date is null or end_date >= start_date)
);
create index pupil_fsm_periods_pupil_idx on pupil_fsm_periods (school_id, pupil_id);

create table pupil_contacts (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null,
  pupil_id uuid not null,
  name text not null check (length(name) between 1 and 200),
  relationship text not null check (length(relationship) between 1 and 100),
  phone text check (length(phone) <= 50),
  email text check (length(email) <= 254),
  address text check (length(address) <= 500),
  priority integer not null check (priority between 1 and 99),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version integer not null default 1,
  foreign key (school_id, pupil_id) references pupils (school_id, id) on delete cascade
);
create index pupil_contacts_pupil_idx on pupil_contacts (school_id, pupil_id, priority);

create table support_flags (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references organisations (id),
  name text not null check (length(name) between 1 and 100),
  description text check (length(description) <= 500),
  archived_at timestamptz,
  created_at timestamptz not null default now(),
  unique (school_id, id)
);
create unique index support_flags_school_name_key on support_flags (school_id, lower(name));

create table pupil_support_flags (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null,
  pupil_id uuid not null,
  flag_id uuid not null,
  start_date date not null,
  end_date date,
  created_at timestamptz not null default now(),
  foreign key (school_id, pupil_id) references pupils (school_id, id) on delete cascade,
  foreign key (school_id, flag_id) references support_flags (school_id, id),
  check (end_date is null or end_date >= start_date)
);
create index pupil_support_flags_pupil_idx on pupil_support_flags (school_id, pupil_id);
create index pupil_support_flags_flag_idx on pupil_support_flags (school_id, flag_id);

/* Rectification trail (P28): one row per changed field, old and new value, who, when, how. */
create table pupil_history (
  id bigint generated always as identity primary key,
  school_id uuid not null,
  pupil_id uuid not null,
  field text not null,
  old_value text,
  new_value text,
  source text not null check (source in ('edit', 'import', 'create', 'leaver')),
  changed_by uuid references users (id),
  changed_at timestamptz not null default now(),
  foreign key (school_id, pupil_id) references pupils (school_id, id) on delete cascade
);
create index pupil_history_pupil_idx on pupil_history (school_id, pupil_id, id desc);

/* Files given to Waypoint for processing, kept until retention deletes them (P23). */
create table import_files (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references organisations (id),
  uploaded_by uuid not null references users (id),
  filename text not null check (length(filename) <= 255),
  content bytea,
  size_bytes integer not null,
  sha256 text not null,
  mode text not null check (mode in ('update', 'full')),
  status text not null default 'previewed' check (status in ('previewed', 'applied', 'cancelled')),
  summary jsonb,
  created_at timestamptz not null default now(),
  processed_at timestamptz,
  content_deleted_at timestamptz
);
create index import_files_school_idx on import_files (school_id, created_at desc);

-- Row-level security ------------------------------------------------------------------------------
alter table pupil_fsm_periods enable row level security;
alter table pupil_fsm_periods force row level security;
alter table pupil_contacts enable row level security;
alter table pupil_contacts force row level security;
alter table pupil_support_flags enable row level security;
alter table pupil_support_flags force row level security;
alter table pupil_history enable row level security;
alter table pupil_history force row level security;
alter table support_flags enable row level security;
alter table support_flags force row level security;
alter table import_files enable row level security;
alter table import_files force row level security;
`);

  // The same rules for every table about one pupil: visible to school staff exactly when the pupil
  // is; written by the roles that may edit pupil records.
  for (const table of ['pupil_fsm_periods', 'pupil_contacts', 'pupil_support_flags', 'pupil_history']) {
    await knex.raw(`
create policy ${table}_read on ${table} for select using (
  (select app_kind()) in ('staff', 'system') and school_id = (select app_school_id())
  and exists (select 1 from pupils p where p.id = ${table}.pupil_id)
);
create policy ${table}_insert on ${table} for insert with check (
  ((select app_kind()) = 'staff' and school_id = (select app_school_id())
    and (select app_roles()) && array['school_admin', 'head', 'dsl', 'senco'])
  or ((select app_kind()) = 'system' and school_id = (select app_school_id()))
);`);
    if (table !== 'pupil_history') {
      await knex.raw(`
create policy ${table}_change on ${table} for update using (
  ((select app_kind()) = 'staff' and school_id = (select app_school_id())
    and (select app_roles()) && array['school_admin', 'head', 'dsl', 'senco'])
  or ((select app_kind()) = 'system' and school_id = (select app_school_id()))
);
create policy ${table}_remove on ${table} for delete using (
  ((select app_kind()) = 'staff' and school_id = (select app_school_id())
    and (select app_roles()) && array['school_admin', 'head', 'dsl', 'senco'])
  or ((select app_kind()) = 'system' and school_id = (select app_school_id()))
);`);
    }
  }

  await knex.raw(`
create policy support_flags_read on support_flags for select using (
  (select app_kind()) in ('staff', 'system') and school_id = (select app_school_id())
);
create policy support_flags_write on support_flags for all using (
  ((select app_kind()) = 'staff' and school_id = (select app_school_id()) and (select app_roles()) && array['school_admin', 'head', 'senco'])
  or ((select app_kind()) = 'system' and school_id = (select app_school_id()))
);
create policy import_files_all on import_files for all using (
  ((select app_kind()) = 'staff' and school_id = (select app_school_id()) and (select app_roles()) && array['school_admin'])
  or ((select app_kind()) = 'system' and school_id = (select app_school_id()))
);`);
}

export async function down(): Promise<void> {
  throw new Error('Waypoint migrations are forward-only.');
}
