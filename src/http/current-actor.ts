import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Database } from '../db/index.js';
import type { RequestMeta } from '../policy/index.js';
import { can } from '../policy/index.js';
import { loadSession, type LoadedSession, recordExpiry } from '../modules/tenancy/session-service.js';
import type { ViewContext } from './render.js';
import { sessionLimits } from './session.js';

export function requestMeta(req: Request): RequestMeta {
  return { ip: req.ip, requestId: req.requestId };
}

function destroy(req: Request): Promise<void> {
  return new Promise((resolve) => req.session.destroy(() => resolve()));
}

function navFor(loaded: LoadedSession, path: string): ViewContext['nav'] {
  const a = loaded.actor;
  const items: { href: string; label: string; show: boolean }[] = [
    { href: '/', label: 'Home', show: a.kind === 'staff' },
    { href: '/pupils', label: 'Pupils', show: a.kind === 'staff' && can(a, 'pupil.list') },
    { href: '/interventions', label: 'Interventions', show: can(a, 'intervention.read') },
    { href: '/dashboard', label: 'Dashboard', show: can(a, 'dashboard.school') },
    { href: '/staff', label: 'Staff', show: can(a, 'staff.read') },
    { href: '/settings', label: 'Settings', show: can(a, 'settings.manage') },
    { href: '/audit', label: 'Audit log', show: can(a, 'audit.read') },
    { href: '/trust', label: 'Schools', show: can(a, 'trust.overview') },
    { href: '/operator', label: 'Organisations', show: can(a, 'operator.organisations') },
    { href: '/parent', label: 'Your children', show: can(a, 'parent.portal') },
    { href: '/account', label: 'Your account', show: true },
  ];
  return items
    .filter((i) => i.show)
    .map(({ href, label }) => ({
      href,
      label,
      current: href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`),
    }));
}

/**
 * Works out who is asking, on every request, from the session and the database. Enforces the
 * idle and absolute timeouts (S3) and drops sessions whose user was disabled or lost all roles.
 */
export function currentActor(db: Database): RequestHandler {
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
      await recordExpiry(db, auth.userId, requestMeta(req), expired);
      await destroy(req);
      res.locals.expired = expired;
      return next();
    }
    const loaded = await loadSession(db, auth.userId, auth.context, requestMeta(req));
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
      nav: loaded.current ? navFor(loaded, req.path) : [],
      flash: flashes,
      ...(loaded.current ? { contextName: loaded.current.name } : {}),
    };
    res.locals.ctx = ctx;
    res.locals.contexts = loaded.contexts;
    next();
  };
}
