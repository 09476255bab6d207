import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Actor } from '../policy/index.js';
import { HttpError } from '../errors.js';

/** The signed-in actor of a request that passed requireSignIn. */
export function actorOf(req: Request): Actor {
  if (!req.actor) throw new HttpError(401, 'Please sign in.');
  return req.actor;
}

/**
 * Pages need a signed-in user who has chosen where they are working. Anonymous GETs go to the
 * sign-in page and come back afterwards; anything else is refused.
 */
export const requireSignIn: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
  if (!req.actor) {
    if (req.method === 'GET' || req.method === 'HEAD') {
      const back = req.originalUrl !== '/' ? `?next=${encodeURIComponent(req.originalUrl)}` : '';
      const expired = res.locals.expired ? `${back ? '&' : '?'}expired=1` : '';
      return res.redirect(303, `/sign-in${back}${expired}`);
    }
    return next(new HttpError(401, 'Your session has ended. Please sign in again.'));
  }
  if (req.actor.kind === 'self') {
    if (req.method === 'GET') return res.redirect(303, '/choose');
    return next(new HttpError(403, 'Choose where you are working first.'));
  }
  next();
};

/** A same-site path to return to after sign-in; anything else goes home. */
export function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])[\w\-./?=&%]*$/.test(value) ? value : '/';
}
