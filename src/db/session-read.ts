import pg from 'pg';

/*
 * The first read of every request, in one round trip with the session lookup (Database.readBySession):
 * a simple-protocol message of two statements, which PostgreSQL runs as one implicit transaction.
 * The first sets the actor to the stored session's user (`self`), read from the session row (outside
 * RLS); the second is the caller's read, filtered by row-level security for that user.
 */

/** The session's user as the `self` actor, for this message only; '' (no actor) without one. */
const setSessionUserSql = `select set_config('app.user_id', coalesce((
    select s.sess #>> '{auth,userId}' from session s
     where s.sid = $1 and s.expire >= to_timestamp($2)
       and s.sess #>> '{auth,userId}' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'), ''), true),
  set_config('app.kind', 'self', true), set_config('app.school_id', '', true), set_config('app.org_id', '', true),
  set_config('app.roles', '', true)`;

/** express-session's ids are uid-safe's base64url; anything else is refused before it is inlined. */
const sessionIdPattern = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * `sql` (and the session statement) with `$1` as the session id and `$2` as whole seconds, both as
 * literals; refuses any other id or time. The message has no parameters.
 */
export function isSessionId(sid: string): boolean {
  return sessionIdPattern.test(sid);
}

export function inlineSessionValues(sql: string, sid: string, nowSeconds: number): string {
  if (!isSessionId(sid)) throw new TypeError('unexpected session id');
  if (!Number.isSafeInteger(nowSeconds) || nowSeconds < 0) throw new TypeError('unexpected time');
  return sql.replace(/\$([12])\b/g, (_, n: string) => (n === '1' ? pg.escapeLiteral(sid) : String(nowSeconds)));
}

/** The statement that sets the session's user as the actor, with its values inlined. */
export function sessionUserLiteralSql(sid: string, nowSeconds: number): string {
  return inlineSessionValues(setSessionUserSql, sid, nowSeconds);
}
