import { AsyncLocalStorage } from 'node:async_hooks';
import type { Request, RequestHandler } from 'express';
import session from 'express-session';
import connectPgSimple from 'connect-pg-simple';
import type pg from 'pg';
import type { Logger } from '../logger.js';

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
 * Reads a stored session (as the store would: by id, unexpired) and, in the same round trip, what
 * the request will need next about its user (`preloaded`, opaque here; see currentActor).
 */
export type SessionRead = (sid: string, nowSeconds: number) => Promise<{ sess: unknown; preloaded: unknown } | null>;

interface PreloadSlot {
  preloaded?: unknown;
}
/** The store's read runs inside the session middleware, which passes it no request: this carries the request's slot. */
const slotOfRead = new AsyncLocalStorage<PreloadSlot>();
const slots = new WeakMap<Request, PreloadSlot>();

/** What the session read of this request preloaded, if anything. */
export function preloadedFor(req: Request): unknown {
  return slots.get(req)?.preloaded;
}

/**
 * The one cookie (P17, S2): an opaque session id, HttpOnly, SameSite=Lax, Secure in production.
 * It has no Max-Age, so it ends with the browser; the server enforces idle and absolute timeouts.
 * Sessions live in Postgres (connect-pg-simple), so app processes stay stateless. Nothing is
 * stored for a visitor until there is something to keep (saveUninitialized: false, and the
 * anonymous CSRF token is stateless, see csrf.ts), so anonymous requests write no rows.
 */
export function createSessionMiddleware(opts: {
  pool: pg.Pool;
  secret: string;
  production: boolean;
  logger: Logger;
  /** The store's read, with what the request needs next (app.ts: tenancy's readSession). */
  read?: SessionRead;
}): SessionMiddleware {
  const PgStore = connectPgSimple(session);
  const read = opts.read;
  /** connect-pg-simple with its read replaced by `read` (the same statement, plus the user's). */
  class PreloadingStore extends PgStore {
    override get(sid: string, fn: (err: unknown, sess?: session.SessionData | null) => void) {
      if (!read) return super.get(sid, fn);
      // The store starts its pruning timer on its first use; with touch disabled, touch does only that.
      this.touch(sid, {} as session.SessionData);
      const slot = slotOfRead.getStore();
      read(sid, Math.ceil(Date.now() / 1000)).then((found) => {
        if (!found) return fn(null);
        if (!found.sess || typeof found.sess !== 'object') return this.destroy(sid, fn);
        if (slot) slot.preloaded = found.preloaded;
        fn(null, found.sess as session.SessionData);
      }, fn);
    }
  }
  const store = new PreloadingStore({
    pool: opts.pool,
    tableName: 'session',
    createTableIfMissing: false,
    ttl: Math.ceil(sessionLimits.idleMs / 1000),
    disableTouch: true,
    pruneSessionInterval: 15 * 60,
    // The store's own failures (pruning, a lost connection) are logged, never swallowed.
    errorLog: (...args: unknown[]) =>
      opts.logger.error({ err: args.find((a) => a instanceof Error) ?? String(args[0]) }, 'session store error'),
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
  return {
    handler: (req, res, next) => {
      const slot: PreloadSlot = {};
      slots.set(req, slot);
      slotOfRead.run(slot, () => handler(req, res, next));
    },
    close: () => store.close(),
  };
}

/**
 * A redirect that follows a session change waits until the session is stored. express-session
 * saves in its `res.end` wrapper, but by then the response head (the 303 and its Location) may
 * already be on the wire, and a browser follows it at once: its next request could find no
 * session row yet (a sign-in that "silently fails", an invitation link that "has expired").
 * Installed once, right after the session middleware, it covers every redirect: sign-in, school
 * choice, link tokens, flashes. Unchanged sessions are not written.
 */
export const saveSessionBeforeRedirect: RequestHandler = (req, res, next) => {
  const loadedId = req.sessionID;
  const loaded = req.session ? JSON.stringify(req.session) : '';
  const redirect = res.redirect.bind(res) as (...args: unknown[]) => void;
  res.redirect = ((...args: unknown[]) => {
    const current = req.session;
    if (!current || (req.sessionID === loadedId && JSON.stringify(current) === loaded)) return redirect(...args);
    current.save((err) => (err ? next(err) : redirect(...args)));
  }) as typeof res.redirect;
  next();
};
