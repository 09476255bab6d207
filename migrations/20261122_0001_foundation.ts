import type { Knex } from 'knex';

/**
 * Foundation schema: organisations, people, roles, the minimal pupil/group tables that prove
 * the access policy, the audit log, auth support tables and sessions.
 *
 * Row-level security: every table that holds school or personal data has RLS enabled AND forced,
 * with policies keyed on the actor settings that withActor() sets per transaction
 * (app.user_id, app.kind, app.school_id, app.org_id, app.roles). With no actor set every policy
 * returns no rows. Settings are read through the app_* functions inside a sub-select so Postgres
 * evaluates them once per query (an InitPlan), not once per row.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(String.raw`
-- Actor settings -------------------------------------------------------------------------------
create function app_user_id() returns uuid language sql stable parallel safe
  as $$ select nullif(current_setting('app.user_id', true), '')::uuid $$;
create function app_kind() returns text language sql stable parallel safe
  as $$ select nullif(current_setting('app.kind', true), '') $$;
create function app_school_id() returns uuid language sql stable parallel safe
  as $$ select nullif(current_setting('app.school_id', true), '')::uuid $$;
create function app_org_id() returns uuid language sql stable parallel safe
  as $$ select nullif(current_setting('app.org_id', true), '')::uuid $$;
create function app_roles() returns text[] language sql stable parallel safe
  as $$ select coalesce(string_to_array(nullif(current_setting('app.roles', true), ''), ','), '{}'::text[]) $$;

-- Organisations ---------------------------------------------------------------------------------
create table organisations (
  id uuid primary key default gen_random_uuid(),
  kind text not null check (kind in ('trust', 'local_authority', 'school')),
  name text not null check (length(name) between 1 and 200),
  trust_id uuid references organisations (id),
  la_id uuid references organisations (id),
  phase text check (phase in ('nursery', 'primary', 'secondary', 'all_through', 'special')),
  urn text check (urn ~ '^[0-9]{6,7}$'),
  la_code text check (la_code ~ '^[0-9]{3}$'),
  establishment_number text check (establishment_number ~ '^[0-9]{4}$'),
  created_at timestamptz not null default now(),
  check (kind = 'school' or (trust_id is null and la_id is null and phase is null))
);
create index organisations_trust_idx on organisations (trust_id) where trust_id is not null;
create index organisations_la_idx on organisations (la_id) where la_id is not null;

-- People ---------------------------------------------------------------------------------------
create table users (
  id uuid primary key default gen_random_uuid(),
  kind text not null check (kind in ('staff', 'parent', 'operator')),
  email text not null check (email = lower(email) and length(email) between 3 and 254),
  title text check (length(title) <= 20),
  given_name text not null check (length(given_name) between 1 and 100),
  family_name text not null check (length(family_name) between 1 and 100),
  job_title text check (length(job_title) <= 100),
  mobile text check (length(mobile) <= 30),
  password_hash text,
  password_changed_at timestamptz,
  disabled_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version integer not null default 1
);
create unique index users_email_key on users (email);

create table memberships (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users (id),
  org_id uuid references organisations (id),
  role text not null check (role in ('school_admin', 'head', 'dsl', 'senco', 'teacher', 'teaching_assistant',
                                     'trust_admin', 'trust_analyst', 'la_officer', 'operator_admin')),
  disabled_at timestamptz,
  created_at timestamptz not null default now(),
  created_by uuid references users (id),
  unique nulls not distinct (user_id, org_id, role)
);
create index memberships_org_idx on memberships (org_id, user_id);

-- A role only makes sense in its kind of organisation.
create function memberships_check_role() returns trigger language plpgsql as $$
declare
  org_kind text;
begin
  if new.role = 'operator_admin' then
    if new.org_id is not null then raise exception 'operator_admin belongs to no organisation'; end if;
    return new;
  end if;
  select kind into org_kind from organisations where id = new.org_id;
  if org_kind is null then raise exception 'membership needs an organisation'; end if;
  if (new.role in ('school_admin', 'head', 'dsl', 'senco', 'teacher', 'teaching_assistant') and org_kind <> 'school')
     or (new.role in ('trust_admin', 'trust_analyst') and org_kind <> 'trust')
     or (new.role = 'la_officer' and org_kind <> 'local_authority') then
    raise exception 'role % does not belong in a % organisation', new.role, org_kind;
  end if;
  return new;
end $$;
create trigger memberships_check_role before insert or update on memberships
  for each row execute function memberships_check_role();

-- School settings, including the sharing consents of P2/P3 -----------------------------------
create table school_settings (
  school_id uuid primary key references organisations (id),
  share_with_trust boolean not null default false,
  share_with_la boolean not null default false,
  mis_import_allowed boolean not null default false,
  dsl_name text check (length(dsl_name) <= 200),
  dsl_contact text check (length(dsl_contact) <= 200),
  updated_at timestamptz not null default now(),
  updated_by uuid references users (id),
  version integer not null default 1
);

/* The schools whose pupil-level data the current trust or LA actor may see: those that belong to the
   actor's organisation and have switched sharing on. Evaluated once per query by the policies. */
create function app_shared_school_ids() returns uuid[] language sql stable parallel safe as $$
  select coalesce(array_agg(s.school_id), '{}'::uuid[])
    from school_settings s
    join organisations o on o.id = s.school_id
   where (app_kind() = 'trust' and o.trust_id = app_org_id() and s.share_with_trust)
      or (app_kind() = 'la' and o.la_id = app_org_id() and s.share_with_la)
$$;

-- Pupils, groups and staff assignments (the pupils module builds these out) -------------------
create table pupils (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references organisations (id),
  legal_forename text not null check (length(legal_forename) between 1 and 100),
  preferred_forename text check (length(preferred_forename) <= 100),
  surname text not null check (length(surname) between 1 and 100),
  date_of_birth date not null,
  sex text not null check (sex in ('M', 'F', 'U')),
  year_group text not null check (year_group in ('N', 'R', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13')),
  upn text check (upn ~ '^[A-Z][0-9]{11}[0-9A-Z]$'),
  mis_id text check (length(mis_id) between 1 and 64),
  admission_date date,
  leaving_date date,
  leaving_reason text check (length(leaving_reason) <= 200),
  restricted_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version integer not null default 1,
  unique (school_id, id)
);
create unique index pupils_school_upn_key on pupils (school_id, upn) where upn is not null;
create unique index pupils_school_mis_key on pupils (school_id, mis_id) where mis_id is not null;
create index pupils_school_name_idx on pupils (school_id, surname, legal_forename);

create table groups (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references organisations (id),
  kind text not null check (kind in ('class', 'set', 'intervention')),
  name text not null check (length(name) between 1 and 100),
  year_group text check (year_group in ('N', 'R', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13')),
  archived_at timestamptz,
  created_at timestamptz not null default now(),
  version integer not null default 1,
  unique (school_id, id)
);
create index groups_school_idx on groups (school_id, name);

create table group_staff (
  school_id uuid not null,
  group_id uuid not null,
  user_id uuid not null references users (id),
  role text not null check (role in ('teacher', 'teaching_assistant')),
  created_at timestamptz not null default now(),
  primary key (group_id, user_id),
  foreign key (school_id, group_id) references groups (school_id, id)
);
create index group_staff_school_user_idx on group_staff (school_id, user_id);

create table group_members (
  school_id uuid not null,
  group_id uuid not null,
  pupil_id uuid not null,
  created_at timestamptz not null default now(),
  primary key (group_id, pupil_id),
  foreign key (school_id, group_id) references groups (school_id, id),
  foreign key (school_id, pupil_id) references pupils (school_id, id)
);
create index group_members_school_pupil_idx on group_members (school_id, pupil_id);

/* Pupils the current teacher or teaching assistant works with, through any group they are assigned to. */
create function app_taught_pupil_ids() returns uuid[] language sql stable parallel safe as $$
  select coalesce(array_agg(distinct gm.pupil_id), '{}'::uuid[])
    from group_staff gs
    join group_members gm on gm.group_id = gs.group_id
   where gs.user_id = app_user_id() and gs.school_id = app_school_id()
$$;

create table parent_links (
  school_id uuid not null,
  pupil_id uuid not null,
  parent_user_id uuid not null references users (id),
  relationship text not null check (length(relationship) between 1 and 50),
  may_see_reports boolean not null default true,
  created_at timestamptz not null default now(),
  primary key (pupil_id, parent_user_id),
  foreign key (school_id, pupil_id) references pupils (school_id, id)
);
create index parent_links_school_idx on parent_links (school_id, pupil_id);
create index parent_links_parent_idx on parent_links (parent_user_id);

-- Audit (append-only for the runtime role: INSERT and SELECT only) ---------------------------
create table audit_events (
  id bigint generated always as identity primary key,
  occurred_at timestamptz not null default now(),
  school_id uuid references organisations (id),
  org_id uuid references organisations (id),
  actor_user_id uuid,
  actor_kind text not null,
  action text not null check (action ~ '^[a-z_]+(\.[a-z_]+)+$'),
  entity_type text,
  entity_id text,
  fields text[],
  outcome text not null default 'ok' check (outcome in ('ok', 'denied', 'failed')),
  ip inet,
  request_id text,
  meta jsonb
);
create index audit_events_school_idx on audit_events (school_id, id desc);
create index audit_events_org_idx on audit_events (org_id, occurred_at desc) where org_id is not null;
create index audit_events_actor_idx on audit_events (actor_user_id, occurred_at desc);

-- Authentication support ------------------------------------------------------------------------
create table auth_tokens (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users (id),
  purpose text not null check (purpose in ('invitation', 'password_reset')),
  token_hash bytea not null unique,
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default now(),
  created_by uuid references users (id)
);
create index auth_tokens_user_idx on auth_tokens (user_id, purpose);

/* Failed sign-ins, for throttling before any password hashing (AU4). Account keys are HMACs of
   the normalised email, so the table holds no email addresses. */
create table auth_failures (
  id bigint generated always as identity primary key,
  account_key bytea not null,
  ip inet,
  occurred_at timestamptz not null default now()
);
create index auth_failures_account_idx on auth_failures (account_key, occurred_at);
create index auth_failures_ip_idx on auth_failures (ip, occurred_at);

/* Double-submit protection (R4): one row per form submission key. */
create table idempotency_keys (
  key uuid primary key,
  user_id uuid not null references users (id),
  result_location text,
  created_at timestamptz not null default now()
);
create index idempotency_keys_created_idx on idempotency_keys (created_at);

-- Sessions (connect-pg-simple). Outside RLS; holds the session id, expiry and a user id only. -----
create table session (
  sid varchar not null primary key,
  sess json not null,
  expire timestamp(6) not null
);
create index session_expire_idx on session (expire);
create index session_user_idx on session ((sess #>> '{auth,userId}'));

-- Row-level security ----------------------------------------------------------------------------
alter table organisations enable row level security;
alter table organisations force row level security;
create policy organisations_read on organisations for select using ((select app_kind()) is not null);
create policy organisations_write on organisations for all
  using ((select app_kind()) in ('operator', 'system'))
  with check ((select app_kind()) in ('operator', 'system'));

alter table users enable row level security;
alter table users force row level security;
create policy users_read on users for select using (
  id = (select app_user_id())
  or (select app_kind()) = 'system'
  or ((select app_kind()) = 'staff' and (
        exists (select 1 from memberships m where m.user_id = users.id and m.org_id = (select app_school_id()))
        or exists (select 1 from parent_links pl where pl.parent_user_id = users.id and pl.school_id = (select app_school_id()))))
  or ((select app_kind()) in ('trust', 'la')
      and exists (select 1 from memberships m where m.user_id = users.id and m.org_id = (select app_org_id())))
  or ((select app_kind()) = 'operator'
      and exists (select 1 from memberships m where m.user_id = users.id
                   and m.role in ('school_admin', 'trust_admin', 'la_officer', 'operator_admin')))
);
create policy users_insert on users for insert with check (
  (select app_kind()) in ('system', 'operator')
  or ((select app_kind()) = 'staff' and (select app_roles()) && array['school_admin'])
  or ((select app_kind()) = 'trust' and (select app_roles()) && array['trust_admin'])
);
create policy users_update on users for update using (
  id = (select app_user_id())
  or (select app_kind()) in ('system', 'operator')
  or ((select app_kind()) = 'staff' and (select app_roles()) && array['school_admin']
      and exists (select 1 from memberships m where m.user_id = users.id and m.org_id = (select app_school_id())))
);

alter table memberships enable row level security;
alter table memberships force row level security;
create policy memberships_read on memberships for select using (
  user_id = (select app_user_id())
  or (select app_kind()) = 'system'
  or ((select app_kind()) = 'staff' and org_id = (select app_school_id()))
  or ((select app_kind()) in ('trust', 'la') and org_id = (select app_org_id()))
  or ((select app_kind()) = 'operator' and role in ('school_admin', 'trust_admin', 'la_officer', 'operator_admin'))
);
create policy memberships_write on memberships for all using (
  (select app_kind()) = 'system'
  or ((select app_kind()) = 'operator' and role in ('school_admin', 'trust_admin', 'la_officer', 'operator_admin'))
  or ((select app_kind()) = 'staff' and org_id = (select app_school_id()) and (select app_roles()) && array['school_admin'])
  or ((select app_kind()) = 'trust' and org_id = (select app_org_id()) and (select app_roles()) && array['trust_admin'])
) with check (
  (select app_kind()) = 'system'
  or ((select app_kind()) = 'operator' and role in ('school_admin', 'trust_admin', 'la_officer', 'operator_admin'))
  or ((select app_kind()) = 'staff' and org_id = (select app_school_id()) and (select app_roles()) && array['school_admin']
      and role in ('school_admin', 'head', 'dsl', 'senco', 'teacher', 'teaching_assistant'))
  or ((select app_kind()) = 'trust' and org_id = (select app_org_id()) and (select app_roles()) && array['trust_admin']
      and role in ('trust_admin', 'trust_analyst'))
);

alter table school_settings enable row level security;
alter table school_settings force row level security;
create policy school_settings_read on school_settings for select using (
  ((select app_kind()) in ('staff', 'system') and school_id = (select app_school_id()))
  or ((select app_kind()) = 'trust' and school_id in (select id from organisations where trust_id = (select app_org_id())))
  or ((select app_kind()) = 'la' and school_id in (select id from organisations where la_id = (select app_org_id())))
  or (select app_kind()) = 'operator'
);
create policy school_settings_insert on school_settings for insert with check (
  (select app_kind()) in ('operator', 'system')
);
create policy school_settings_update on school_settings for update using (
  ((select app_kind()) = 'staff' and school_id = (select app_school_id()) and (select app_roles()) && array['school_admin'])
  or ((select app_kind()) = 'system' and school_id = (select app_school_id()))
);

alter table pupils enable row level security;
alter table pupils force row level security;
create policy pupils_read on pupils for select using (
  ((select app_kind()) = 'staff' and school_id = (select app_school_id()) and (
      (select app_roles()) && array['school_admin', 'head', 'dsl', 'senco']
      or id = any ((select app_taught_pupil_ids())::uuid[])))
  or ((select app_kind()) in ('trust', 'la') and restricted_at is null
      and school_id = any ((select app_shared_school_ids())::uuid[]))
  or ((select app_kind()) = 'parent'
      and id in (select pl.pupil_id from parent_links pl where pl.parent_user_id = (select app_user_id())))
  or ((select app_kind()) = 'system' and school_id = (select app_school_id()))
);
create policy pupils_insert on pupils for insert with check (
  ((select app_kind()) = 'staff' and school_id = (select app_school_id())
    and (select app_roles()) && array['school_admin', 'head', 'dsl', 'senco'])
  or ((select app_kind()) = 'system' and school_id = (select app_school_id()))
);
create policy pupils_update on pupils for update using (
  ((select app_kind()) = 'staff' and school_id = (select app_school_id())
    and (select app_roles()) && array['school_admin', 'head', 'dsl', 'senco'])
  or ((select app_kind()) = 'system' and school_id = (select app_school_id()))
);

alter table groups enable row level security;
alter table groups force row level security;
create policy groups_read on groups for select using (
  (select app_kind()) in ('staff', 'system') and school_id = (select app_school_id())
);
create policy groups_write on groups for all using (
  ((select app_kind()) = 'staff' and school_id = (select app_school_id()) and (select app_roles()) && array['school_admin', 'head', 'senco'])
  or ((select app_kind()) = 'system' and school_id = (select app_school_id()))
);

alter table group_staff enable row level security;
alter table group_staff force row level security;
create policy group_staff_read on group_staff for select using (
  (select app_kind()) in ('staff', 'system') and school_id = (select app_school_id())
);
create policy group_staff_write on group_staff for all using (
  ((select app_kind()) = 'staff' and school_id = (select app_school_id()) and (select app_roles()) && array['school_admin', 'head'])
  or ((select app_kind()) = 'system' and school_id = (select app_school_id()))
);

alter table group_members enable row level security;
alter table group_members force row level security;
create policy group_members_read on group_members for select using (
  (select app_kind()) in ('staff', 'system') and school_id = (select app_school_id())
);
create policy group_members_write on group_members for all using (
  ((select app_kind()) = 'staff' and school_id = (select app_school_id()) and (select app_roles()) && array['school_admin', 'head', 'senco'])
  or ((select app_kind()) = 'system' and school_id = (select app_school_id()))
);

alter table parent_links enable row level security;
alter table parent_links force row level security;
create policy parent_links_read on parent_links for select using (
  ((select app_kind()) = 'parent' and parent_user_id = (select app_user_id()))
  or ((select app_kind()) in ('staff', 'system') and school_id = (select app_school_id()))
);
create policy parent_links_write on parent_links for all using (
  ((select app_kind()) = 'staff' and school_id = (select app_school_id()) and (select app_roles()) && array['school_admin'])
  or ((select app_kind()) = 'system' and school_id = (select app_school_id()))
);

alter table audit_events enable row level security;
alter table audit_events force row level security;
create policy audit_events_insert on audit_events for insert with check ((select app_kind()) is not null);
create policy audit_events_read on audit_events for select using (
  ((select app_kind()) = 'staff' and school_id = (select app_school_id()) and (select app_roles()) && array['school_admin'])
  or ((select app_kind()) in ('trust', 'la') and org_id = (select app_org_id()) and (select app_roles()) && array['trust_admin', 'la_officer'])
  or ((select app_kind()) = 'operator' and school_id is null)
  or (actor_user_id = (select app_user_id()) and action like 'auth.%')
  or (select app_kind()) = 'system'
);

alter table auth_tokens enable row level security;
alter table auth_tokens force row level security;
create policy auth_tokens_system on auth_tokens for all using ((select app_kind()) = 'system');
create policy auth_tokens_issue on auth_tokens for insert with check (
  (select app_kind()) = 'operator'
  or ((select app_kind()) = 'staff' and (select app_roles()) && array['school_admin'])
  or ((select app_kind()) = 'trust' and (select app_roles()) && array['trust_admin'])
);

alter table auth_failures enable row level security;
alter table auth_failures force row level security;
create policy auth_failures_system on auth_failures for all using ((select app_kind()) = 'system');

alter table idempotency_keys enable row level security;
alter table idempotency_keys force row level security;
create policy idempotency_keys_own on idempotency_keys for all
  using (user_id = (select app_user_id())) with check (user_id = (select app_user_id()));
`);
}

export async function down(): Promise<void> {
  throw new Error('Waypoint migrations are forward-only.');
}
