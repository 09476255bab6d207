import type { Database } from '../../db/index.js';
import type { Actor, LaRole, RequestMeta, Role, SchoolRole, TrustRole } from '../../policy/index.js';
import { schoolRoles, trustRoles } from '../../policy/index.js';
import * as audit from '../audit/index.js';
import * as q from './queries.js';

export interface WorkContext {
  /** An organisation id, or 'operator' / 'parent'. */
  id: string;
  kind: 'school' | 'trust' | 'local_authority' | 'operator' | 'parent';
  name: string;
  roles: Role[];
}

export interface SessionUser {
  id: string;
  name: string;
  email: string;
}

export interface LoadedSession {
  user: SessionUser;
  contexts: WorkContext[];
  /** The context in use, or null while the user has not chosen among several. */
  current: WorkContext | null;
  actor: Actor;
}

function contextsOf(user: q.SessionUserRow, memberships: q.MembershipRow[]): WorkContext[] {
  if (user.kind === 'parent') return [{ id: 'parent', kind: 'parent', name: 'Parent', roles: [] }];
  const byOrg = new Map<string, WorkContext>();
  for (const m of memberships) {
    const key = m.org_id ?? 'operator';
    const ctx = byOrg.get(key) ?? {
      id: key,
      kind: m.org_kind ?? 'operator',
      name: m.org_name ?? 'Waypoint operator',
      roles: [],
    };
    ctx.roles.push(m.role);
    byOrg.set(key, ctx);
  }
  return [...byOrg.values()];
}

function actorFor(userId: string, ctx: WorkContext, meta: RequestMeta): Actor {
  switch (ctx.kind) {
    case 'school':
      return {
        kind: 'staff',
        userId,
        schoolId: ctx.id,
        roles: ctx.roles.filter((r): r is SchoolRole => (schoolRoles as readonly string[]).includes(r)),
        meta,
      };
    case 'trust':
      return {
        kind: 'trust',
        userId,
        orgId: ctx.id,
        roles: ctx.roles.filter((r): r is TrustRole => (trustRoles as readonly string[]).includes(r)),
        meta,
      };
    case 'local_authority':
      return {
        kind: 'la',
        userId,
        orgId: ctx.id,
        roles: ctx.roles.filter((r): r is LaRole => r === 'la_officer'),
        meta,
      };
    case 'operator':
      return { kind: 'operator', userId, meta };
    case 'parent':
      return { kind: 'parent', userId, meta };
  }
}

/**
 * Rebuilds who a session's user is, from the database, on every request: a removed role or a
 * disabled account takes effect at the very next request (A3). Returns null when the user may
 * no longer be signed in.
 */
export async function loadSession(
  db: Database,
  userId: string,
  chosen: string | null,
  meta: RequestMeta,
  preloaded?: unknown,
): Promise<LoadedSession | null> {
  const self: Actor = { kind: 'self', userId, meta };
  const found = preloadedUser(preloaded, userId) ?? (await q.userWithMemberships(db, userId));
  if (!found || found.user.disabled_at) return null;
  const contexts = contextsOf(found.user, found.memberships);
  if (!contexts.length) return null;
  const current = contexts.find((c) => c.id === chosen) ?? (contexts.length === 1 ? contexts[0]! : null);
  return {
    user: { id: found.user.id, name: q.fullName(found.user), email: found.user.email },
    contexts,
    current,
    actor: current ? actorFor(userId, current, meta) : self,
  };
}

type UserWithMemberships = NonNullable<Awaited<ReturnType<typeof q.userWithMemberships>>>;

/** What `readSession` read about the session's user, if it is this user (else it is read again). */
function preloadedUser(preloaded: unknown, userId: string): UserWithMemberships | null {
  const found = (preloaded as { user?: UserWithMemberships | null } | undefined)?.user;
  return found && found.user.id === userId ? found : null;
}

/**
 * The session store's read, with the session's user and live roles in the same round trip: `sess`
 * for express-session, `preloaded` for loadSession in the same request (so A3 still holds: it is
 * read on every request). Null when there is no such live session.
 */
export async function readSession(
  db: Database,
  sid: string,
  nowSeconds: number,
): Promise<{ sess: unknown; preloaded: unknown } | null> {
  const found = await q.sessionWithUser(db, sid, nowSeconds);
  return found && { sess: found.sess, preloaded: { user: found.user } };
}

/** Ends all of a user's sessions but the current one (the user's own "sign out everywhere"). */
export async function signOutEverywhere(db: Database, actor: Actor, currentSid: string): Promise<number> {
  if (actor.kind === 'system') throw new Error('system actor has no sessions');
  return db.withActor(actor, async (trx) => {
    const ended = await q.deleteSessionsOf(trx, actor.userId, currentSid);
    await audit.record(trx, actor, { action: 'auth.sign_out_everywhere', meta: { sessions: ended } });
    return ended;
  });
}

export async function recordSignOut(db: Database, actor: Actor): Promise<void> {
  await audit.recordAlone(db, actor, { action: 'auth.sign_out' });
}

export async function recordExpiry(
  db: Database,
  userId: string,
  meta: RequestMeta,
  reason: 'idle' | 'absolute',
): Promise<void> {
  await audit.recordAlone(db, { kind: 'self', userId, meta }, { action: 'auth.session_expired', meta: { reason } });
}

/** Choosing a school (or trust) to work in is that organisation's event: its audit log shows it. */
export async function recordContextChosen(db: Database, actor: Actor, chosen: WorkContext): Promise<void> {
  if (chosen.kind !== 'school' && chosen.kind !== 'trust' && chosen.kind !== 'local_authority') return;
  await audit.recordAlone(db, actor, {
    action: 'auth.context_chosen',
    schoolId: chosen.kind === 'school' ? chosen.id : null,
    orgId: chosen.kind === 'school' ? null : chosen.id,
  });
}
