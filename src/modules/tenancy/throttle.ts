import crypto from 'node:crypto';
import type { Tx } from '../../db/index.js';

/**
 * AU4: sign-in throttling, checked before any password hashing, with no lock-out a stranger can
 * impose. Three sliding windows of failures:
 * - per account and address: 10 per 5 minutes, always;
 * - per account, from any address: 10 per 5 minutes;
 * - per address, on any account: 100 per 5 minutes (whole schools share one public address).
 * An address where this account signed in successfully in the last 30 days (a "known source")
 * skips the last two: a stranger's failures elsewhere, or a neighbour's behind the same school
 * address, throttle the stranger, not the head teacher at their usual computer. One cookie only
 * (P17) rules out a device cookie, so the address is what "a browser that signed in before" can
 * mean here. Someone at a new address while their account is under attack can reset their
 * password: completing a reset makes that address a known source.
 */
export const throttleLimits = {
  windowMinutes: 5,
  perAccount: 10,
  perIp: 100,
  knownSourceDays: 30,
  /** Password-reset emails: per account and per address, per hour. */
  resetsPerAccount: 3,
  resetsPerIp: 20,
};

/** An HMAC of the normalised email: lets us count failures per account without storing emails. */
export function accountKey(secret: string, email: string): Buffer {
  return crypto.createHmac('sha256', secret).update(`sign-in:${email}`).digest();
}

/**
 * Attempts on one account are serialised, so its limits hold exactly however many arrive at once.
 * Attempts from one address are not: a whole school signing in at 8:30 behind one address must
 * not queue on a lock (each waiter holds a pool connection), so the generous per-address limit
 * may be overshot by the number of attempts in flight at that moment.
 */
async function lock(trx: Tx, key: Buffer): Promise<void> {
  await trx.raw(`select pg_advisory_xact_lock(hashtextextended(encode(?::bytea, 'hex'), 0))`, [key]);
}

/**
 * Checks the limits and, if the attempt may go ahead, counts it as a failure straight away, under
 * a lock on the account. Counting before the password is checked is what makes
 * the limit hold when many attempts arrive at once; a successful sign-in then clears the account's
 * count. Returns false when throttled (nothing is recorded).
 *
 * Two round trips: the lock, then the counts and the conditional insert as one statement. The
 * counts must not share the lock's statement: a statement's snapshot is taken when it starts, so it
 * would not see what the previous holder of the lock committed.
 */
export async function reserveAttempt(trx: Tx, key: Buffer, ip: string | null): Promise<boolean> {
  await lock(trx, key);
  const since = trx.raw(`now() - make_interval(mins => ?)`, [throttleLimits.windowMinutes]);
  const { rows } = await trx.raw<{ rows: { reserved: boolean }[] }>(
    `with c as (
       select (select count(*)::int from auth_failures where kind = 'sign_in' and account_key = ? and ip is not distinct from ?::inet and occurred_at > ?) as pair,
              (select count(*)::int from auth_failures where kind = 'sign_in' and account_key = ? and occurred_at > ?) as account,
              (select count(*)::int from auth_failures where kind = 'sign_in' and ip = ?::inet and occurred_at > ?) as ip,
              exists (select 1 from auth_known_sources where account_key = ? and ip = ?::inet
                       and last_success_at > now() - make_interval(days => ?)) as known
     ), reserved as (
       insert into auth_failures (account_key, ip, kind)
       select ?::bytea, ?::inet, 'sign_in' from c
        where not (c.pair >= ? or (not c.known and (c.account >= ? or (?::inet is not null and c.ip >= ?))))
       returning 1
     )
     select exists (select 1 from reserved) as reserved`,
    [
      ...[key, ip, since, key, since, ip, since, key, ip, throttleLimits.knownSourceDays],
      ...[key, ip, throttleLimits.perAccount, throttleLimits.perAccount, ip, throttleLimits.perIp],
    ],
  );
  return rows[0]!.reserved;
}

/**
 * A successful sign-in (or a completed reset) clears the account's failures from that address
 * (the person's own typing mistakes) and makes the address known. A stranger's failures from
 * elsewhere keep counting against the stranger's addresses. One statement: the known source is
 * upserted and the account's lapsed ones pruned (never the one just upserted: a statement may not
 * change a row twice).
 */
export async function recordSuccess(trx: Tx, key: Buffer, ip: string | null): Promise<void> {
  await trx.raw(
    `with cleared as (
       delete from auth_failures where account_key = ? and kind = 'sign_in' and ip is not distinct from ?::inet
     ), known as (
       insert into auth_known_sources (account_key, ip) select ?::bytea, ?::inet where ?::inet is not null
       on conflict (account_key, ip) do update set last_success_at = now()
     ), pruned as (
       delete from auth_known_sources
        where ?::inet is not null and account_key = ? and ip is distinct from ?::inet
          and last_success_at < now() - make_interval(days => ?)
     )
     select 1`,
    [key, ip, key, ip, ip, ip, key, ip, throttleLimits.knownSourceDays],
  );
}

/**
 * Password-reset requests are rate-limited the same way (per account and per address, per hour),
 * so the reset form cannot be used to flood someone's inbox. Returns false when over the limit.
 */
export async function reserveReset(trx: Tx, key: Buffer, ip: string | null): Promise<boolean> {
  await lock(trx, key);
  const since = trx.raw(`now() - interval '1 hour'`);
  const { rows } = await trx.raw<{ rows: { account: number; ip: number }[] }>(
    `select (select count(*)::int from auth_failures where kind = 'reset' and account_key = ? and occurred_at > ?) as account,
            (select count(*)::int from auth_failures where kind = 'reset' and ip = ?::inet and occurred_at > ?) as ip`,
    [key, since, ip, since],
  );
  const c = rows[0]!;
  if (c.account >= throttleLimits.resetsPerAccount || (ip !== null && c.ip >= throttleLimits.resetsPerIp)) return false;
  await trx('auth_failures').insert({ account_key: key, ip, kind: 'reset' });
  return true;
}
