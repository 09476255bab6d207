import type { Database, Tx } from '../../db/index.js';
import { type Actor, type RequestMeta, systemActor } from '../../policy/index.js';
import type { Mailer } from '../../mail/index.js';
import * as audit from '../audit/service.js';
import type { AuditEntry } from '../audit/service.js';
import { type PasswordHasher, passwordProblem } from './passwords.js';
import * as q from './queries.js';
import { accountKey, clearFailures, reserveAttempt } from './throttle.js';
import { consumeToken, issueToken, peekToken } from './tokens.js';

export interface AuthDeps {
  db: Database;
  hasher: PasswordHasher;
  mailer: Mailer;
  /** Keys the HMAC of emails in the throttle table. */
  secret: string;
  publicOrigin: string;
}

export type SignInResult = { ok: true; userId: string } | { ok: false; reason: 'invalid' | 'throttled' };

/**
 * Audit rows about a person's account go to every organisation they work in, so each school's
 * log shows its own staff's sign-ins. No organisation (an unknown email): one row with none.
 */
async function recordForUser(trx: Tx, actor: Actor, userId: string | null, entry: AuditEntry): Promise<void> {
  const orgs = userId
    ? await trx('memberships as m').join('organisations as o', 'o.id', 'm.org_id')
        .where('m.user_id', userId).distinct('o.id', 'o.kind')
    : [];
  if (!orgs.length) return audit.record(trx, actor, { ...entry, subjectUserId: userId, schoolId: null, orgId: null });
  for (const o of orgs as { id: string; kind: string }[]) {
    await audit.record(trx, actor, {
      ...entry,
      subjectUserId: userId,
      schoolId: o.kind === 'school' ? o.id : null,
      orgId: o.kind === 'school' ? null : o.id,
    });
  }
}

/**
 * Email + password sign-in. Throttling is checked, and the attempt counted, BEFORE any hashing (AU4). Unknown emails cost
 * the same hashing as known ones and get the same answer (AU5). The password is never logged.
 */
export async function signIn(deps: AuthDeps, email: string, password: string, meta: RequestMeta): Promise<SignInResult> {
  const sys = systemActor('auth', meta);
  const key = accountKey(deps.secret, q.normaliseEmail(email));
  const ip = meta.ip ?? null;

  const user = await deps.db.withActor(sys, async (trx) => {
    if (!(await reserveAttempt(trx, key, ip))) return 'throttled' as const;
    return (await q.userByEmail(trx, email)) ?? null;
  });
  if (user === 'throttled') {
    await deps.db.withActor(sys, (trx) => recordForUser(trx, sys, null, { action: 'auth.sign_in_throttled', outcome: 'denied' }));
    return { ok: false, reason: 'throttled' };
  }

  const usable = user && user.password_hash && !user.disabled_at ? user : null;
  const valid = usable
    ? await deps.hasher.verify(usable.password_hash!, password)
    : await deps.hasher.verifyAgainstNothing(password);

  if (!valid || !usable) {
    // The failure was counted when the attempt was reserved.
    await deps.db.withActor(sys, (trx) => recordForUser(trx, sys, user?.id ?? null, { action: 'auth.sign_in_failed', outcome: 'failed' }));
    return { ok: false, reason: 'invalid' };
  }

  const rehash = deps.hasher.needsRehash(usable.password_hash!) ? await deps.hasher.hash(password) : null;
  await deps.db.withActor(sys, async (trx) => {
    await clearFailures(trx, key);
    if (rehash) await q.updatePasswordHash(trx, usable.id, rehash);
    await recordForUser(trx, sys, usable.id, { action: 'auth.sign_in' });
  });
  return { ok: true, userId: usable.id };
}

export type PasswordChange = { ok: true } | { ok: false; field: 'currentPassword' | 'newPassword'; message: string };

export async function changePassword(
  deps: AuthDeps,
  actor: Actor,
  current: string,
  next: string,
  currentSid: string,
): Promise<PasswordChange> {
  if (actor.kind === 'system') throw new Error('system actor has no password');
  const user = await deps.db.withActor(actor, (trx) => q.userById(trx, actor.userId));
  if (!user?.password_hash || !(await deps.hasher.verify(user.password_hash, current))) {
    return { ok: false, field: 'currentPassword', message: 'Your current password is not right.' };
  }
  const problem = passwordProblem(next, [user.email.split('@')[0] ?? '', user.given_name, user.family_name]);
  if (problem) return { ok: false, field: 'newPassword', message: problem };
  const hash = await deps.hasher.hash(next);
  await deps.db.withActor(actor, async (trx) => {
    await q.updatePasswordHash(trx, actor.userId, hash);
    // Other devices signed in with the old password are signed out.
    await q.deleteSessionsOf(trx, actor.userId, currentSid);
    await audit.record(trx, actor, { action: 'auth.password_changed', fields: ['password'] });
  });
  return { ok: true };
}

/**
 * Sends a reset link if the email has an account; says nothing either way (AU5). The mail is
 * sent after the response, so timing does not reveal whether it exists either.
 */
export async function requestPasswordReset(deps: AuthDeps, email: string, meta: RequestMeta): Promise<void> {
  const sys = systemActor('auth', meta);
  const issued = await deps.db.withActor(sys, async (trx) => {
    const user = await q.userByEmail(trx, email);
    if (!user || user.disabled_at || !user.password_hash) return null;
    const token = await issueToken(trx, user.id, 'password_reset', null);
    await recordForUser(trx, sys, user.id, { action: 'auth.password_reset_requested' });
    return { token, user };
  });
  if (!issued) return;
  setImmediate(() => {
    deps.mailer
      .send({
        to: issued.user.email,
        subject: 'Reset your Waypoint password',
        text:
          `Hello ${issued.user.given_name},\n\nSomeone asked to reset the password for your Waypoint account. ` +
          `If it was you, open this link within one hour:\n\n${deps.publicOrigin}/reset-password/${issued.token}\n\n` +
          `If it was not you, you can ignore this email; your password has not changed.\n`,
      })
      .catch(() => undefined);
  });
}

export interface LinkedAccount {
  userId: string;
  email: string;
  givenName: string;
  familyName: string;
  title: string | null;
}

/** Who a live invitation or reset link is for, without using it up. */
export async function inspectLink(deps: AuthDeps, token: string, purpose: 'invitation' | 'password_reset', meta: RequestMeta): Promise<LinkedAccount | null> {
  return deps.db.withActor(systemActor('auth', meta), async (trx) => {
    const userId = await peekToken(trx, token, purpose);
    const user = userId ? await q.userById(trx, userId) : undefined;
    if (!user || user.disabled_at) return null;
    return { userId: user.id, email: user.email, givenName: user.given_name, familyName: user.family_name, title: user.title };
  });
}

export type SetPasswordResult = { ok: true; userId: string } | { ok: false; message: string; expired?: true };

/**
 * Completes an invitation or a reset: checks the new password, uses the token up (single use),
 * stores the argon2id hash and ends any other sessions. One transaction.
 */
export async function setPasswordWithLink(
  deps: AuthDeps,
  token: string,
  purpose: 'invitation' | 'password_reset',
  password: string,
  names: { given_name: string; family_name: string; title: string | null } | null,
  meta: RequestMeta,
): Promise<SetPasswordResult> {
  const account = await inspectLink(deps, token, purpose, meta);
  if (!account) return { ok: false, message: 'This link has expired or has already been used.', expired: true };
  const problem = passwordProblem(password, [
    account.email.split('@')[0] ?? '',
    names?.given_name ?? account.givenName,
    names?.family_name ?? account.familyName,
  ]);
  if (problem) return { ok: false, message: problem };
  const hash = await deps.hasher.hash(password);
  const sys = systemActor('auth', meta);
  const userId = await deps.db.withActor(sys, async (trx) => {
    const used = await consumeToken(trx, token, purpose);
    if (!used) return null;
    await q.updatePasswordHash(trx, used, hash);
    if (names) await trx('users').where({ id: used }).update({ ...names, updated_at: trx.fn.now() });
    await q.deleteSessionsOf(trx, used);
    await recordForUser(trx, sys, used, {
      action: purpose === 'invitation' ? 'auth.invitation_accepted' : 'auth.password_reset',
      fields: names ? ['password', 'given_name', 'family_name', 'title'] : ['password'],
    });
    return used;
  });
  return userId ? { ok: true, userId } : { ok: false, message: 'This link has expired or has already been used.', expired: true };
}
