import type { Request } from 'express';

/** Adds a one-time message for the next page (after a redirect); `current-actor.ts` hands it to that page. */
export function flash(req: Request, text: string, kind: 'success' | 'info' = 'success'): void {
  req.session.flash = [...(req.session.flash ?? []), { kind, text }];
}
