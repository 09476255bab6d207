import type { RequestHandler } from 'express';
import session from 'express-session';
import connectPgSimple from 'connect-pg-simple';
import type pg from 'pg';

/** S3: server-side limits, whatever the browser does with its cookie. */
export const sessionLimits = {
  idleMs: 30 * 60 * 1000,
  absoluteMs: 12 * 60 * 60 * 1000,
  /** lastSeenAt is written at most this often, so most requests cost no session write. */
  touchEveryMs: 60 * 1000,
};

export function sessionCookieName(production: boolean): string {
  // S2: the __Host- prefix pins the cookie to this host, path / and HTTPS.
  return production ? '__Host-waypoint' : 'waypoint';
}

export interface SessionMiddleware {
  handler: RequestHandler;
  close(): void;
}

/**
 * The one cookie (P17, S2): an opaque session id, HttpOnly, SameSite=Lax, Secure in production.
 * It has no Max-Age, so it ends with the browser; the server enforces idle and absolute timeouts.
 * Sessions live in Postgres (connect-pg-simple), so app processes stay stateless.
 */
export function createSessionMiddleware(opts: { pool: pg.Pool; secret: string; production: boolean }): SessionMiddleware {
  const PgStore = connectPgSimple(session);
  const store = new PgStore({
    pool: opts.pool,
    tableName: 'session',
    createTableIfMissing: false,
    ttl: Math.ceil(sessionLimits.idleMs / 1000),
    disableTouch: true,
    pruneSessionInterval: 15 * 60,
    errorLog: () => undefined,
  });
  const handler = session({
    name: sessionCookieName(opts.production),
    secret: opts.secret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: false,
    proxy: opts.production,
    cookie: { httpOnly: true, sameSite: 'lax', secure: opts.production, path: '/' },
  });
  return { handler, close: () => store.close() };
}
