import crypto from 'node:crypto';
import type { Tx } from '../../db/index.js';

/**
 * AU4: sign-in throttling, checked before any password hashing. A sliding window, so there is no
 * permanent lock-out that an attacker could use to lock a head teacher out of their account.
 */
export const throttleLimits = {
  windowMinutes: 5,
  perAccount: 10,
  /** Whole schools share one public IP address, so the per-IP limit is generous. */
  perIp: 100,
};

/** An HMAC of the normalised email: lets us count failures per account without storing emails. */
export function accountKey(secret: string, email: string): Buffer {
  return crypto.createHmac('sha256', secret).update(`sign-in:${email}`).digest();
}

/**
 * Checks the limits and, if the attempt may go ahead, counts it as a failure straight away, all
 * under a lock on the account and the IP address. Counting before the password is checked is
 * what makes the limit hold when many attempts arrive at once: none can slip in between another's
 * check and its failure being recorded. A successful sign-in then clears the account's count.
 * Returns false when throttled (nothing is recorded).
 */
export async function reserveAttempt(trx: Tx, key: Buffer, ip: string | null): Promise<boolean> {
  // Account first, then IP: every attempt takes them in this order, so two never deadlock.
  await trx.raw(`select pg_advisory_xact_lock(hashtextextended(encode(?::bytea, 'hex'), 0))`, [key]);
  if (ip !== null) await trx.raw(`select pg_advisory_xact_lock(hashtextextended('sign-in-ip:' || ?, 0))`, [ip]);
  const since = trx.raw(`now() - make_interval(mins => ?)`, [throttleLimits.windowMinutes]);
  const { rows } = await trx.raw<{ rows: { account: number; ip: number }[] }>(
    `select (select count(*)::int from auth_failures where account_key = ? and occurred_at > ?) as account,
            (select count(*)::int from auth_failures where ip = ? and occurred_at > ?) as ip`,
    [key, since, ip, since],
  );
  const counts = rows[0]!;
  if (counts.account >= throttleLimits.perAccount || (ip !== null && counts.ip >= throttleLimits.perIp)) return false;
  await trx('auth_failures').insert({ account_key: key, ip });
  return true;
}

/** A successful sign-in clears that account's failures (not the IP's). */
export async function clearFailures(trx: Tx, key: Buffer): Promise<void> {
  await trx('auth_failures').where({ account_key: key }).del();
}
