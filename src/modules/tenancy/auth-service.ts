import type { Database, Tx } from '../../db/index.js';
import { type Actor, type RequestMeta, systemActor } from '../../policy/index.js';
import type { Mailer } from '../../mail/index.js';
import * as audit from '../audit/index.js';
import type { AuditEntry } from '../audit/index.js';
import type { PasswordHashing } from '../../http/deps.js';
import { passwordProblem } from './passwords.js';
import type { User } from './models.js';
import * as q from './queries.js';
import { accountKey, recordSuccess, reserveAttempt, reserveReset } from './throttle.js';
import { consumeToken, issueToken, peekToken } from './tokens.js';

export interface AuthDeps {
  db: Database;
  hasher: PasswordHashing;
  mailer: Mailer;
  /** Keys the HMAC of emails in the throttle table. */
  secret: string;
  publicOrigin: string;
}

export type SignInResult = { ok: true; userId: string } | { ok: false; reason: 'invalid' | 'throttled' };

/**
 * Where an event about a person's account belongs. A school's audit log shows only what happened
 * in that school's context: a person who works only there signs straight into it, so their
 * sign-ins are its events; a person with several places signs in to none of them yet (choosing
 * one is recorded there, as auth.context_chosen). An unknown email: no organisation.
 */
async function recordForUser(trx: Tx, actor: Actor, userId: string | null, entry: AuditEntry): Promise<void> {
  const orgs = userId ? await q.liveOrganisationsOf(trx, userId) : [];
  await recordAt(trx, actor, userId, orgs, entry);
}

/** `recordForUser` with the person's live organisations already known. */
async function recordAt(
  trx: Tx,
  actor: Actor,
  userId: string | null,
  places: { id: string | null; kind: string }[],
  entry: AuditEntry,
): Promise<void> {
  const orgs = places.filter((p) => p.id);
  const only = orgs.length === 1 ? orgs[0]! : null;
  await audit.record(trx, actor, {
    ...entry,
    subjectUserId: userId,
    schoolId: only?.kind === 'school' ? only.id : null,
    orgId: only && only.kind !== 'school' ? only.id : null,
  });
}

/** May sign in: not disabled, with a password, and somewhere to work (the operator's role counts). */
function isUsable(user: q.SignInAccount): boolean {
  if (!user.password_hash || user.disabled_at) return false;
  return user.kind === 'parent' || user.places.length > 0;
}

/** An account that may sign in: not disabled, with a password, and somewhere to work. */
async function usableAccount(trx: Tx, email: string): Promise<User | null> {
  const user = await q.signInAccountByEmail(trx, email);
  return user && isUsable(user) ? user : null;
}

/**
 * Email + password sign-in. Throttling is checked, and the attempt counted, BEFORE any hashing (AU4). Unknown emails cost
 * the same hashing as known ones and get the same answer (AU5). The password is never logged.
 *
 * No connection is held while hashing: a burst of sign-ins would otherwise leave the pool's
 * connections idle in transaction while the hashes queue for a core. One short transaction
 * reserves the attempt and reads the account (its throttled outcome recorded there too), the hash
 * is checked with none open, and a second short transaction records the outcome.
 */
export async function signIn(
  deps: AuthDeps,
  email: string,
  password: string,
  meta: RequestMeta,
): Promise<SignInResult> {
  const sys = systemActor('auth', meta);
  const key = accountKey(deps.secret, q.normaliseEmail(email));
  const ip = meta.ip ?? null;

  const found = await deps.db.withActor(sys, async (trx) => {
    if (!(await reserveAttempt(trx, key, ip))) {
      await recordAt(trx, sys, null, [], { action: 'auth.sign_in_throttled', outcome: 'denied' });
      return 'throttled' as const;
    }
    return { user: (await q.signInAccountByEmail(trx, email)) ?? null };
  });
  if (found === 'throttled') return { ok: false, reason: 'throttled' };

  const { user } = found;
  // A disabled account, or one with no live role anywhere, is checked against nothing: the
  // answer is the same as for a wrong password, so it says nothing about the password (AU5).
  const usable = user && isUsable(user) ? user : null;
  const valid = usable
    ? await deps.hasher.verify(usable.password_hash!, password)
    : await deps.hasher.verifyAgainstNothing(password);

  if (!valid || !usable) {
    // The failure was counted when the attempt was reserved.
    await deps.db.withActor(sys, (trx) =>
      recordAt(trx, sys, user?.id ?? null, user?.places ?? [], { action: 'auth.sign_in_failed', outcome: 'failed' }),
    );
    return { ok: false, reason: 'invalid' };
  }

  const rehash = deps.hasher.needsRehash(usable.password_hash!) ? await deps.hasher.hash(password) : null;
  await deps.db.withActor(sys, async (trx) => {
    await recordSuccess(trx, key, ip);
    if (rehash) await q.updatePasswordHash(trx, usable.id, rehash);
    await recordAt(trx, sys, usable.id, usable.places, { action: 'auth.sign_in' });
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
  const key = accountKey(deps.secret, q.normaliseEmail(email));
  const issued = await deps.db.withActor(sys, async (trx) => {
    if (!(await reserveReset(trx, key, meta.ip ?? null))) return null;
    const user = await usableAccount(trx, email);
    if (!user) return null;
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
          `Any earlier reset link no longer works. If it was not you, you can ignore this email; your password has not changed.\n`,
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

/** Who a live reset link is for, without using it up. */
export async function inspectResetLink(
  deps: AuthDeps,
  token: string,
  meta: RequestMeta,
): Promise<LinkedAccount | null> {
  return deps.db.withActor(systemActor('auth', meta), async (trx) => {
    const userId = await peekToken(trx, token, 'password_reset');
    const user = userId ? await q.userById(trx, userId) : undefined;
    if (!user || user.disabled_at) return null;
    return {
      userId: user.id,
      email: user.email,
      givenName: user.given_name,
      familyName: user.family_name,
      title: user.title,
    };
  });
}

export type SetPasswordResult = { ok: true; userId: string } | { ok: false; message: string; expired?: true };

export const linkExpired = {
  ok: false,
  message: 'This link has expired or has already been used.',
  expired: true,
} as const;

/**
 * Completes a reset: checks the new password, uses the token up (single use), stores the argon2id
 * hash and ends every session. The address that completed it becomes a known source for the
 * throttle (AU4): the way in for someone whose account a stranger keeps throttled.
 */
export async function resetPassword(
  deps: AuthDeps,
  token: string,
  password: string,
  meta: RequestMeta,
): Promise<SetPasswordResult> {
  const account = await inspectResetLink(deps, token, meta);
  if (!account) return linkExpired;
  const problem = passwordProblem(password, [account.email.split('@')[0] ?? '', account.givenName, account.familyName]);
  if (problem) return { ok: false, message: problem };
  const hash = await deps.hasher.hash(password);
  const sys = systemActor('auth', meta);
  const userId = await deps.db.withActor(sys, async (trx) => {
    const used = await consumeToken(trx, token, 'password_reset');
    if (!used) return null;
    await q.updatePasswordHash(trx, used, hash);
    await q.deleteSessionsOf(trx, used);
    await recordSuccess(trx, accountKey(deps.secret, account.email), meta.ip ?? null);
    await recordForUser(trx, sys, used, { action: 'auth.password_reset', fields: ['password'] });
    return used;
  });
  return userId ? { ok: true, userId } : linkExpired;
}
