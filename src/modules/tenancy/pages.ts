import type { Renderer } from '../../http/render.js';

/**
 * Tenancy's pages (sign-in, password reset, invitations, account, staff, settings, operator) show no pupil
 * data, so they opt out of the pupil-data flag (B3: hx-history="false", on by default) and keep htmx history.
 */
export function withoutPupilData(renderer: Renderer): Renderer {
  return {
    eta: renderer.eta,
    render(req, res, view, data, opts) {
      res.locals.ctx = { ...res.locals.ctx, pupilData: false };
      renderer.render(req, res, view, data, opts);
    },
  };
}
