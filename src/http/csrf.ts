import crypto from 'node:crypto';
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
 * Visitors who are not signed in get a stateless token: an expiry and a nonce signed with the
 * session secret. Storing a synchroniser token would mean writing a session row for every
 * anonymous page view (a flood of GET /sign-in would fill the table), and there is nothing else
 * to keep for them yet. It proves the form came from one of our pages; together with the Origin
 * check it keeps cross-site posts (login CSRF) out. Signed-in sessions use the stored token.
 */
const anonymousLifetimeMs = 12 * 60 * 60 * 1000;

function sign(key: string, payload: string): string {
  return crypto.createHmac('sha256', key).update(`csrf-anonymous|${payload}`).digest('base64url');
}

export function anonymousToken(key: string, now = Date.now()): string {
  const payload = `${(now + anonymousLifetimeMs).toString(36)}.${crypto.randomBytes(12).toString('base64url')}`;
  return `${payload}.${sign(key, payload)}`;
}

export function isAnonymousToken(key: string, token: string, now = Date.now()): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  const payload = `${parts[0]}.${parts[1]}`;
  const expected = Buffer.from(sign(key, payload));
  const given = Buffer.from(parts[2]!);
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return false;
  return parseInt(parts[0]!, 36) > now;
}

const keyOf = (req: Request): string => {
  const key = (req.app.locals as { csrfKey?: string }).csrfKey;
  if (!key) throw new Error('app.locals.csrfKey is not set');
  return key;
};

/** Multipart bodies are accepted only on the paths that take uploads; their token is checked after parsing. */
const uploadPathsOf = (req: Request): readonly string[] =>
  (req.app.locals as { uploadPaths?: string[] }).uploadPaths ?? [];

const tokenFromRequest = (req: Request): string | undefined => {
  const fromBody = (req.body as Record<string, unknown> | undefined)?._csrf;
  if (typeof fromBody === 'string') return fromBody;
  const header = req.headers['x-csrf-token'];
  return typeof header === 'string' ? header : undefined;
};

/**
 * B1, second half: the synchroniser token (csrf-sync; csurf is archived), read from the `_csrf`
 * form field or the `x-csrf-token` header that htmx sends from the page's hx-headers. Every
 * state-changing request needs it, whatever its content type: a multipart body anywhere but an
 * upload path is refused here, and upload routes check the token once multer has parsed it.
 */
export const csrf = csrfSync({
  size: 32,
  skipCsrfProtection: (req) => !!req.is('multipart/form-data') && uploadPathsOf(req).includes(req.path),
  getTokenFromRequest: tokenFromRequest,
  getTokenFromState: (req) => {
    if (req.session?.auth) return req.session.csrfToken;
    // Not signed in: a valid anonymous token (or one stored earlier in this session) is the state.
    const received = tokenFromRequest(req);
    if (!received) return undefined;
    if (received === req.session?.csrfToken || isAnonymousToken(keyOf(req), received)) return received;
    return undefined;
  },
  storeTokenInState: (req, token) => {
    if (req.session) req.session.csrfToken = token;
  },
});

/** The CSRF check, and `req.csrfToken()` for the page's forms: stored when signed in, stateless before. */
export const csrfProtection: RequestHandler = (req, res, next) => {
  csrf.csrfSynchronisedProtection(req, res, (err?: unknown) => {
    req.csrfToken = () => (req.session?.auth ? csrf.generateToken(req) : anonymousToken(keyOf(req)));
    next(err);
  });
};

export function isCsrfError(err: unknown): boolean {
  return err === csrf.invalidCsrfTokenError || (err as { code?: string } | null)?.code === 'EBADCSRFTOKEN';
}
