import type { RequestHandler } from 'express';
import { BadRequest } from '../errors.js';

export const nulMessage =
  'The address or form contained a character Waypoint cannot accept (a null character). Nothing was saved. Go back, remove what was pasted in and try again.';

/**
 * I4: PostgreSQL text cannot hold a NUL character, so a NUL in the address could only end in a
 * database error, a 500: refuse it here, before any handler. Node's HTTP parser refuses a raw NUL
 * in the request line, so it can only arrive as `%00` (in the path or the query).
 *
 * Form bodies are not refused here on purpose: the pupil record form refuses a NUL by its field,
 * keeping what was typed (I1), and so do the shared text helpers in forms.ts. For any form that
 * does not, the error handler turns Postgres's refusal of the character into this same 400.
 */
export const refuseNulInAddress: RequestHandler = (req, _res, next) => {
  if (req.url.includes('%00')) return next(new BadRequest(nulMessage));
  next();
};

/** Postgres refusing a character: NUL in text (22021) or `\u0000` in jsonb (22P05), as pg or objection (nativeError) throws it. */
export function isUnstorableCharacter(err: unknown): boolean {
  const e = err as { code?: unknown; nativeError?: { code?: unknown } } | null;
  const code = e?.code ?? e?.nativeError?.code;
  return code === '22021' || code === '22P05';
}
