import type { Database, Tx } from '../../db/index.js';
import type { Role } from '../../policy/index.js';
import { type OrganisationKind, Organisation, User } from './models.js';

/**
 * Tenancy's own reads and writes. One row by its key goes through the models (models.ts); the
 * session load, sets of rows, joins and the session store are knex or SQL (CONTEXT.md says why).
 */

/** What a request needs to know about its user (never the password hash). */
export type SessionUserRow = Pick<User, 'id' | 'kind' | 'email' | 'given_name' | 'family_name' | 'disabled_at'>;

export interface MembershipRow {
  id: string;
  org_id: string | null;
  org_kind: OrganisationKind | null;
  org_name: string | null;
  role: Role;
}

export const normaliseEmail = (email: string) => email.trim().toLowerCase();

export function fullName(u: { title?: string | null; given_name: string; family_name: string }): string {
  return `${u.given_name} ${u.family_name}`;
}

export async function userById(trx: Tx, id: string): Promise<User | undefined> {
  return User.query(trx).findById(id);
}

export async function userByEmail(trx: Tx, email: string): Promise<User | undefined> {
  return User.query(trx).findOne({ email: normaliseEmail(email) });
}

/**
 * A user and their live roles, read as the user themself in one round trip: every request loads
 * this, so it is one statement with its actor (`readOnce`), not a transaction of four.
 */
export async function userWithMemberships(
  db: Database,
  userId: string,
): Promise<{ user: SessionUserRow; memberships: MembershipRow[] } | null> {
  const rows = await db.readOnce<SessionUserRow & { memberships: MembershipRow[] }>(
    { kind: 'self', userId, meta: {} },
    `select u.id, u.kind, u.email, u.given_name, u.family_name, u.disabled_at, coalesce((
        select json_agg(json_build_object('id', m.id, 'org_id', m.org_id, 'org_kind', o.kind, 'org_name', o.name, 'role', m.role)
                        order by o.name, m.role)
          from memberships m left join organisations o on o.id = m.org_id
         where m.user_id = u.id and m.disabled_at is null), '[]') as memberships
       from users u where u.id = $1`,
    [userId],
  );
  const row = rows[0];
  if (!row) return null;
  const { memberships, ...user } = row;
  return { user, memberships };
}

/**
 * A stored session and, in the same round trip, its user and their live roles (read as that user,
 * like userWithMemberships): what every signed-in request reads first. Null when the session is
 * missing or expired, as the session store's own read; `user` is null when the session has no user.
 */
export async function sessionWithUser(
  db: Database,
  sid: string,
  nowSeconds: number,
): Promise<{ sess: unknown; user: { user: SessionUserRow; memberships: MembershipRow[] } | null } | null> {
  const rows = await db.readBySession<
    { sess: unknown } & ({ id: string; memberships: MembershipRow[] } & Omit<SessionUserRow, 'id'>)
  >(
    sid,
    nowSeconds,
    `select s.sess, u.id, u.kind, u.email, u.given_name, u.family_name, u.disabled_at, coalesce((
        select json_agg(json_build_object('id', m.id, 'org_id', m.org_id, 'org_kind', o.kind, 'org_name', o.name, 'role', m.role)
                        order by o.name, m.role)
          from memberships m left join organisations o on o.id = m.org_id
         where m.user_id = u.id and m.disabled_at is null), '[]') as memberships
       from session s left join users u on u.id = (select app_user_id())
      where s.sid = $1 and s.expire >= to_timestamp($2)`,
  );
  const row = rows[0];
  if (!row) return null;
  const { sess, memberships, ...user } = row;
  return { sess, user: user.id ? { user, memberships } : null };
}

/** The organisations where a user has a live role (with includeOperator, the operator's role too). */
export async function liveOrganisationsOf(
  trx: Tx,
  userId: string,
  includeOperator = false,
): Promise<{ id: string | null; kind: string }[]> {
  const rows: { id: string | null; kind: string | null }[] = await trx('memberships as m')
    .leftJoin('organisations as o', 'o.id', 'm.org_id')
    .where('m.user_id', userId)
    .whereNull('m.disabled_at')
    .distinct('m.org_id as id', 'o.kind');
  return rows.filter((r) => r.id || includeOperator).map((r) => ({ id: r.id, kind: r.kind ?? 'operator' }));
}

/** A user found at sign-in, with the places they have a live role (`id` null: the operator's). */
export type SignInAccount = User & { places: { id: string | null; kind: string }[] };

/**
 * The user with this email and every organisation where they have a live role, in one round trip:
 * sign-in needs both (may this account sign in; whose audit log gets the event) and runs while a
 * burst of others queue for connections.
 */
export async function signInAccountByEmail(trx: Tx, email: string): Promise<SignInAccount | undefined> {
  return (await User.query(trx)
    .select(
      'users.*',
      trx.raw(
        `coalesce((select jsonb_agg(distinct jsonb_build_object('id', m.org_id, 'kind', coalesce(o.kind::text, 'operator')))
                     from memberships m left join organisations o on o.id = m.org_id
                    where m.user_id = users.id and m.disabled_at is null), '[]') as places`,
      ),
    )
    .findOne({ email: normaliseEmail(email) })) as SignInAccount | undefined;
}

export async function updatePasswordHash(trx: Tx, userId: string, hash: string): Promise<void> {
  await User.query(trx)
    .findById(userId)
    .patch({ password_hash: hash, password_changed_at: trx.fn.now(), updated_at: trx.fn.now() });
}

/** Ends every stored session of a user (A3, S4). The session table is outside RLS. */
export async function deleteSessionsOf(trx: Tx, userId: string, exceptSid?: string): Promise<number> {
  const q = trx('session').whereRaw(`sess #>> '{auth,userId}' = ?`, [userId]);
  if (exceptSid) q.whereNot('sid', exceptSid);
  return q.del();
}

/**
 * Ends a user's sessions that are working in one organisation (a school disabling a member or
 * removing a role). Their sessions elsewhere carry on: a school can end only its own context.
 */
export async function deleteSessionsInContext(trx: Tx, userId: string, orgId: string): Promise<number> {
  return trx('session')
    .whereRaw(`sess #>> '{auth,userId}' = ?`, [userId])
    .whereRaw(`sess #>> '{auth,context}' = ?`, [orgId])
    .del();
}

export async function organisationById(trx: Tx, id: string): Promise<Organisation | undefined> {
  return Organisation.query(trx).findById(id);
}
