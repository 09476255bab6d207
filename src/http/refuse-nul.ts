import type { RequestHandler } from 'express';
import { BadRequest } from '../errors.js';

/**
 * I4: PostgreSQL text cannot hold a NUL character, so a NUL in the address or in a form can only
 * end in a database error, a 500. app.ts installs this right after body parsing, so such a
 * request is a 400 before any handler runs. Node's HTTP parser refuses a raw NUL in the request
 * line, so in the address it can only arrive as `%00` (in the path or the query). Multipart
 * bodies (uploads) are parsed later, by their own routes, and are not looked at here.
 */
export const refuseNulBytes: RequestHandler = (req, _res, next) => {
  if (req.url.includes('%00') || holdsNul(req.body)) {
    return next(new BadRequest('The address or form contained a character Waypoint cannot accept (a null character). Nothing was saved. Go back, remove what was pasted in and try again.'));
  }
  next();
};

/** A urlencoded body is flat (strings and arrays of strings), but check keys and nesting anyway. */
function holdsNul(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('\u0000');
  if (Array.isArray(v)) return v.some(holdsNul);
  if (v !== null && typeof v === 'object') return Object.entries(v).some(([k, item]) => k.includes('\u0000') || holdsNul(item));
  return false;
}
