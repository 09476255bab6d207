import type { Request, RequestHandler } from 'express';
import { csrfSync } from 'csrf-sync';
import { HttpError } from '../errors.js';

const unsafe = (req: Request) => !['GET', 'HEAD', 'OPTIONS'].includes(req.method);

/**
 * B1, first half: a state-changing request must come from our own pages. Browsers send
 * Sec-Fetch-Site and/or Origin; when present they must say same-origin. (The CSRF token is the
 * second half and is checked even when these headers are missing.)
 */
export function sameOriginOnly(publicOrigin: string): RequestHandler {
  return (req, _res, next) => {
    if (!unsafe(req)) return next();
    const site = req.get('Sec-Fetch-Site');
    if (site && site !== 'same-origin' && site !== 'none') {
      return next(new HttpError(403, 'This form was sent from another website, so it was not accepted.'));
    }
    const origin = req.get('Origin');
    if (origin !== undefined) {
      const own = `${req.protocol}://${req.get('host')}`;
      if (origin !== own && origin !== publicOrigin) {
        return next(new HttpError(403, 'This form was sent from another website, so it was not accepted.'));
      }
    }
    next();
  };
}

/**
 * B1, second half: the synchroniser token (csrf-sync; csurf is archived). Read from the `_csrf`
 * form field or the `x-csrf-token` header that htmx sends from the page's hx-headers.
 */
export const csrf = csrfSync({
  size: 32,
  // Multipart bodies are checked by the upload middleware once it has parsed them (uploads.ts).
  skipCsrfProtection: (req) => !!req.is('multipart/form-data'),
  getTokenFromRequest: (req) => {
    const fromBody = (req.body as Record<string, unknown> | undefined)?._csrf;
    if (typeof fromBody === 'string') return fromBody;
    const header = req.headers['x-csrf-token'];
    return typeof header === 'string' ? header : undefined;
  },
});

export function isCsrfError(err: unknown): boolean {
  return err === csrf.invalidCsrfTokenError || (err as { code?: string } | null)?.code === 'EBADCSRFTOKEN';
}
