import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Actor, RequestMeta } from '../policy/index.js';
import type { NavEntry } from './module.js';
import { navFor } from './navigation.js';
import type { ViewContext } from './render.js';
import { preloadedFor, sessionLimits } from './session.js';

export function requestMeta(req: Request): RequestMeta {
  return { ip: req.ip, requestId: req.requestId };
}

/** A signed-in session as rebuilt from the database: the person, where they may work, and as whom. */
export interface LoadedSession {
  user: { id: string; name: string; email: string };
  /** Every place the user may work (school, trust, LA, operator, parent); the views list them. */
  contexts: readonly { id: string; name: string }[];
  /** The context in use, or null while the user has not chosen among several. */
  current: { id: string; name: string } | null;
  actor: Actor;
}

/** Who a session belongs to, asked on every request. Tenancy implements it over its tables; app.ts wires it. */
export interface SessionLoader {
  /** Null when the user may no longer be signed in (disabled, no roles left). */
  /** `preloaded`: what the session read of this request found about its user, if anything (see session.ts). */
  load(
    userId: string,
    chosenContext: string | null,
    meta: RequestMeta,
    preloaded?: unknown,
  ): Promise<LoadedSession | null>;
  /** Audits a session that ran out (S3). */
  recordExpiry(userId: string, meta: RequestMeta, reason: 'idle' | 'absolute'): Promise<void>;
}

function destroy(req: Request): Promise<void> {
  return new Promise((resolve) => req.session.destroy(() => resolve()));
}

/**
 * Works out who is asking, on every request, from the session and the database. Enforces the
 * idle and absolute timeouts (S3) and drops sessions whose user was disabled or lost all roles.
 * `navigation` is every module's entries in bar order (see `assembleModules`).
 */
export function currentActor(sessions: SessionLoader, navigation: readonly NavEntry[]): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const flashes = req.session.flash ?? [];
    if (flashes.length) delete req.session.flash;
    res.locals.ctx = { flash: flashes } satisfies Partial<ViewContext>;
    const auth = req.session.auth;
    if (!auth) return next();
    const now = Date.now();
    const expired =
      now - auth.lastSeenAt > sessionLimits.idleMs
        ? 'idle'
        : now - auth.signedInAt > sessionLimits.absoluteMs
          ? 'absolute'
          : null;
    if (expired) {
      await sessions.recordExpiry(auth.userId, requestMeta(req), expired);
      await destroy(req);
      res.locals.expired = expired;
      return next();
    }
    const loaded = await sessions.load(auth.userId, auth.context, requestMeta(req), preloadedFor(req));
    if (!loaded) {
      await destroy(req);
      return next();
    }
    if (loaded.current && auth.context !== loaded.current.id) auth.context = loaded.current.id;
    if (now - auth.lastSeenAt > sessionLimits.touchEveryMs) auth.lastSeenAt = now;
    req.actor = loaded.actor;
    const ctx: Partial<ViewContext> = {
      user: loaded.user,
      canSwitchContext: loaded.contexts.length > 1,
      enhanced: loaded.actor.kind !== 'parent',
      nav: loaded.current ? navFor(navigation, loaded.actor, req.path) : [],
      flash: flashes,
      ...(loaded.current ? { contextName: loaded.current.name } : {}),
    };
    res.locals.ctx = ctx;
    res.locals.contexts = loaded.contexts;
    next();
  };
}
