import type { Knex } from 'knex';

/**
 * Invitations that a person accepts, and an operator who cannot make itself a school admin.
 *
 * Before, inviting an email attached the account at once: a school admin could invite another
 * school's head and see, disable and audit them; the operator could invite itself as admin of any
 * school. Now:
 * - `invitations` hold what the inviter typed (email, names, roles, groups) and a hashed link
 *   token. No membership exists until the person accepts: by setting a password (a new account)
 *   or, signed in with their existing account, by pressing Accept. Acceptance runs as the system.
 * - The operator may invite an organisation's admin only while it has no active admin (an admin
 *   who has set a password); otherwise it files an `admin_change_requests` row that one of the
 *   organisation's admins approves or refuses. The operator writes no memberships and no users.
 * - `auth_known_sources`: an account's recent successful sign-in addresses, so a stranger's
 *   failures throttle the stranger, not the person at their usual computer (AU4).
 * - `auth_failures.kind`: password-reset requests are rate-limited with the same table.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(String.raw`
create table invitations (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organisations (id),
  email text not null check (email = lower(email) and length(email) between 3 and 254),
  title text check (length(title) <= 20),
  given_name text not null check (length(given_name) between 1 and 100),
  family_name text not null check (length(family_name) between 1 and 100),
  job_title text check (length(job_title) <= 100),
  roles text[] not null check (cardinality(roles) >= 1 and roles <@ array['school_admin', 'head', 'dsl', 'senco', 'teacher',
    'teaching_assistant', 'trust_admin', 'trust_analyst', 'la_officer']),
  group_ids uuid[] not null default '{}',
  token_hash bytea not null unique,
  expires_at timestamptz not null,
  invited_by uuid references users (id),
  created_at timestamptz not null default now(),
  accepted_at timestamptz,
  accepted_by uuid references users (id),
  declined_at timestamptz,
  revoked_at timestamptz
);
create index invitations_org_idx on invitations (org_id, created_at desc);
create index invitations_email_idx on invitations (email) where accepted_at is null and declined_at is null and revoked_at is null;

create table admin_change_requests (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organisations (id),
  requested_by uuid not null references users (id),
  email text not null check (email = lower(email) and length(email) between 3 and 254),
  title text check (length(title) <= 20),
  given_name text not null check (length(given_name) between 1 and 100),
  family_name text not null check (length(family_name) between 1 and 100),
  job_title text check (length(job_title) <= 100),
  reason text not null check (length(reason) between 1 and 1000),
  created_at timestamptz not null default now(),
  decided_at timestamptz,
  decided_by uuid references users (id),
  decision text check (decision in ('approved', 'refused')),
  invitation_id uuid references invitations (id),
  check ((decision is null) = (decided_at is null))
);
create index admin_change_requests_org_idx on admin_change_requests (org_id, created_at desc);

create table auth_known_sources (
  account_key bytea not null,
  ip inet not null,
  last_success_at timestamptz not null default now(),
  primary key (account_key, ip)
);
create index auth_known_sources_seen_idx on auth_known_sources (last_success_at);

alter table auth_failures add column kind text not null default 'sign_in' check (kind in ('sign_in', 'reset'));

/* Whether an organisation has an admin who can act: a live admin membership of an account with a password. */
create function org_has_active_admin(org uuid) returns boolean language sql stable as $$
  select exists (
    select 1 from memberships m join users u on u.id = m.user_id
     where m.org_id = org and m.disabled_at is null and u.disabled_at is null and u.password_hash is not null
       and m.role in ('school_admin', 'trust_admin', 'la_officer'))
$$;

-- Row-level security --------------------------------------------------------------------------
alter table invitations enable row level security;
alter table invitations force row level security;
create policy invitations_system on invitations for all
  using ((select app_kind()) = 'system') with check ((select app_kind()) = 'system');
create policy invitations_school on invitations for all
  using ((select app_kind()) = 'staff' and org_id = (select app_school_id()) and (select app_roles()) && array['school_admin'])
  with check ((select app_kind()) = 'staff' and org_id = (select app_school_id()) and (select app_roles()) && array['school_admin']
    and roles <@ array['school_admin', 'head', 'dsl', 'senco', 'teacher', 'teaching_assistant']);
create policy invitations_trust on invitations for all
  using ((select app_kind()) = 'trust' and org_id = (select app_org_id()) and (select app_roles()) && array['trust_admin'])
  with check ((select app_kind()) = 'trust' and org_id = (select app_org_id()) and (select app_roles()) && array['trust_admin']
    and roles <@ array['trust_admin', 'trust_analyst']);
create policy invitations_operator_read on invitations for select
  using ((select app_kind()) = 'operator' and roles <@ array['school_admin', 'trust_admin', 'la_officer']);
create policy invitations_operator_insert on invitations for insert
  with check ((select app_kind()) = 'operator' and cardinality(roles) = 1
    and roles <@ array['school_admin', 'trust_admin', 'la_officer'] and not org_has_active_admin(org_id));
create policy invitations_operator_revoke on invitations for update
  using ((select app_kind()) = 'operator' and roles <@ array['school_admin', 'trust_admin', 'la_officer'] and not org_has_active_admin(org_id))
  with check ((select app_kind()) = 'operator' and roles <@ array['school_admin', 'trust_admin', 'la_officer'] and not org_has_active_admin(org_id));

alter table admin_change_requests enable row level security;
alter table admin_change_requests force row level security;
create policy admin_change_requests_system on admin_change_requests for all
  using ((select app_kind()) = 'system') with check ((select app_kind()) = 'system');
create policy admin_change_requests_operator_read on admin_change_requests for select using ((select app_kind()) = 'operator');
create policy admin_change_requests_operator_insert on admin_change_requests for insert
  with check ((select app_kind()) = 'operator' and requested_by = (select app_user_id()) and decision is null);
create policy admin_change_requests_school on admin_change_requests for all
  using ((select app_kind()) = 'staff' and org_id = (select app_school_id()) and (select app_roles()) && array['school_admin'])
  with check ((select app_kind()) = 'staff' and org_id = (select app_school_id()) and (select app_roles()) && array['school_admin']);

alter table auth_known_sources enable row level security;
alter table auth_known_sources force row level security;
create policy auth_known_sources_system on auth_known_sources for all
  using ((select app_kind()) = 'system') with check ((select app_kind()) = 'system');

-- The operator no longer writes memberships or users, and no one but the system issues link tokens.
drop policy memberships_write on memberships;
create policy memberships_write on memberships for all using (
  (select app_kind()) = 'system'
  or ((select app_kind()) = 'staff' and org_id = (select app_school_id()) and (select app_roles()) && array['school_admin'])
  or ((select app_kind()) = 'trust' and org_id = (select app_org_id()) and (select app_roles()) && array['trust_admin'])
) with check (
  (select app_kind()) = 'system'
  or ((select app_kind()) = 'staff' and org_id = (select app_school_id()) and (select app_roles()) && array['school_admin']
      and role in ('school_admin', 'head', 'dsl', 'senco', 'teacher', 'teaching_assistant'))
  or ((select app_kind()) = 'trust' and org_id = (select app_org_id()) and (select app_roles()) && array['trust_admin']
      and role in ('trust_admin', 'trust_analyst'))
);
drop policy users_insert on users;
create policy users_insert on users for insert with check ((select app_kind()) = 'system');
drop policy users_update on users;
create policy users_update on users for update using (id = (select app_user_id()) or (select app_kind()) = 'system');
drop policy auth_tokens_issue on auth_tokens;
`);

  // Invitations still open from before: each becomes an invitation per organisation, with the
  // same link token, so links already sent keep working. Read and written as the system actor
  // (the owner is under FORCE row-level security too).
  await knex.transaction(async (trx) => {
    await trx.raw(`select set_config('app.kind', 'system', true)`);
    // One invitation per open token (its first organisation; the rare second one keeps its
    // legacy membership, which starts working when the password is set, as before).
    await trx.raw(`
      insert into invitations (org_id, email, title, given_name, family_name, job_title, roles, group_ids, token_hash, expires_at, invited_by, created_at)
      select distinct on (t.token_hash) m.org_id, u.email, u.title, u.given_name, u.family_name, u.job_title,
             (select array_agg(distinct m2.role) from memberships m2 where m2.user_id = u.id and m2.org_id = m.org_id and m2.disabled_at is null),
             coalesce((select array_agg(gs.group_id) from group_staff gs where gs.user_id = u.id and gs.school_id = m.org_id), '{}'),
             t.token_hash, t.expires_at, t.created_by, t.created_at
        from auth_tokens t
        join users u on u.id = t.user_id and u.password_hash is null
        join memberships m on m.user_id = u.id and m.org_id is not null and m.disabled_at is null
       where t.purpose = 'invitation' and t.used_at is null and t.expires_at > now()
       order by t.token_hash, m.created_at`);
  });
}

export async function down(): Promise<void> {
  throw new Error('Waypoint migrations are forward-only.');
}
