import type { ErrorRequestHandler, RequestHandler } from 'express';
// knex is CommonJS: under Node's own ESM loader only its default export is there to import.
import knex from 'knex';
import type { Logger } from '../logger.js';
import { type Actor, PolicyDenied } from '../policy/index.js';
import { HttpError, NotFound } from '../errors.js';
import { isCsrfError } from './csrf.js';
import { isUnstorableCharacter, nulMessage } from './refuse-nul.js';
import type { Renderer } from './render.js';

const titles: Record<number, string> = {
  400: 'Sorry, something was wrong with that request',
  401: 'You need to sign in',
  403: 'You do not have access to this',
  404: 'Page not found',
  409: 'This was changed by someone else',
  413: 'That was too large',
  429: 'Too many attempts',
  500: 'Sorry, something went wrong',
  503: 'Waypoint is busy',
};

/**
 * Audits a policy denial (L1) in its own transaction, since the request's rolled back. The audit
 * module provides it; app.ts wires it in, so the kernel does not know the audit module.
 */
export type DenialRecorder = (actor: Actor, denied: { route: string; action: string }) => Promise<void>;

/** Seconds a person is asked to wait when every database connection was busy. */
export const busyRetryAfterSeconds = 5;

/**
 * knex found no free connection within its acquire timeout: every one was busy (a burst of
 * sign-ins, say). The server is overloaded, not broken, and trying again shortly will work. Its
 * query timeouts are KnexTimeoutErrors too, with another message, and stay 500s.
 */
function isPoolBusy(err: unknown): boolean {
  return err instanceof knex.KnexTimeoutError && /acquiring a connection/i.test(err.message);
}

export const notFound: RequestHandler = (_req, _res, next) => next(new NotFound());

/**
 * I5: every error becomes a plain page with a request id and no stack trace. Policy denials are
 * audited (L1). Unexpected errors are logged with the request id; the process carries on.
 */
export function errorHandler(deps: {
  renderer: Renderer;
  logger: Logger;
  recordDenial: DenialRecorder;
}): ErrorRequestHandler {
  return async (err, req, res, next) => {
    if (res.headersSent) return next(err);
    let status = 500;
    let busy = false;
    let message =
      'The problem has been logged. Please try again, and if it keeps happening tell your school’s Waypoint admin the reference below.';
    if (err instanceof PolicyDenied) {
      status = 403;
      message = 'Your role does not allow this. If you think it should, ask your school’s Waypoint admin.';
      if (req.actor) {
        await deps
          .recordDenial(req.actor, { route: `${req.method} ${req.route?.path ?? req.path}`, action: err.action })
          .catch((e) => deps.logger.error({ err: e, reqId: req.requestId }, 'could not audit a denial'));
      }
    } else if (isCsrfError(err)) {
      status = 403;
      message =
        'This form had expired or was opened in another window. Go back, reload the page and try again. Nothing was saved.';
    } else if (err instanceof HttpError) {
      status = err.status;
      message = err.publicMessage;
    } else if (isUnstorableCharacter(err)) {
      // I4: a NUL that got past a form's validation; the transaction has rolled back.
      status = 400;
      message = nulMessage;
    } else if (err?.type === 'entity.too.large' || err?.code === 'LIMIT_FILE_SIZE') {
      status = 413;
      message = 'What you sent was larger than Waypoint accepts. Nothing was saved.';
    } else if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) {
      status = err.status;
      message = 'The request could not be read. Nothing was saved.';
    } else if (isPoolBusy(err)) {
      busy = true;
      status = 503;
      message = 'Waypoint is busy, try again in a moment. Too many requests arrived at once.';
      res.setHeader('Retry-After', String(busyRetryAfterSeconds));
    }
    // Overload is worth a warning, not an error: nothing is broken.
    if (busy) deps.logger.warn({ err, reqId: req.requestId }, 'database busy');
    else if (status >= 500) deps.logger.error({ err, reqId: req.requestId }, 'request failed');
    else deps.logger.info({ status, reqId: req.requestId }, 'request refused');
    if (status === 401 && (req.method === 'GET' || req.method === 'HEAD')) return res.redirect(303, '/sign-in');
    res.setHeader('Cache-Control', 'no-store');
    deps.renderer.render(
      req,
      res,
      'errors/error',
      { status, title: titles[status] ?? titles[500], message },
      { status },
    );
  };
}
