import type { Request, Response } from 'express';
import { Eta } from 'eta';
import { paths } from '../paths.js';
import type { Assets } from './assets.js';
import { knownAs } from '../lib/names.js';
import { type Role, roleLabels } from '../policy/index.js';

/** A role as people say it ("School admin", never `school_admin`). */
const roleLabel = (role: string): string => roleLabels[role as Role] ?? role.replace(/_/g, ' ');

/** What every page template can read as `it.ctx`. */
export interface ViewContext {
  path: string;
  requestId: string;
  /** The session's CSRF token; creating one starts a session, so call it only where a form needs it. */
  csrf: () => string;
  asset: (file: string) => string;
  user?: { id: string; name: string; email: string };
  /** The school, trust, LA or role the user is working as. */
  contextName?: string;
  canSwitchContext: boolean;
  nav: { href: string; label: string; current: boolean }[];
  flash: { kind: 'success' | 'info'; text: string }[];
  /** A pupil's first name as shown: preferred when given, else legal. */
  knownAs: typeof knownAs;
  roleLabel: typeof roleLabel;
  /** Load htmx and our small script (staff pages). Parent pages need no JavaScript at all. */
  enhanced: boolean;
  /**
   * The page may show pupil data, so htmx history is off and nothing is kept in localStorage (B3). True unless
   * its router renders through `withoutPupilData`: a page forgotten is then safe, not leaky.
   */
  pupilData: boolean;
}

export interface RenderOptions {
  status?: number;
  /** Template to send alone when htmx asks for part of the page (HX-Request, not boosted). */
  fragment?: string;
}

export interface Renderer {
  eta: Eta;
  render(req: Request, res: Response, view: string, data?: Record<string, unknown>, opts?: RenderOptions): void;
}

/**
 * The renderer for a router whose pages show no pupil data (sign-in, account, staff, set-up pages): they
 * opt out of the pupil-data flag and keep htmx history. Wrapping the renderer, not a router-wide
 * middleware, because every request passes through the routers mounted before its own.
 */
export function withoutPupilData(renderer: Renderer): Renderer {
  return {
    eta: renderer.eta,
    render(req, res, view, data, opts) {
      res.locals.ctx = { ...res.locals.ctx, pupilData: false } satisfies Partial<ViewContext>;
      renderer.render(req, res, view, data, opts);
    },
  };
}

export function isHtmx(req: Request): boolean {
  return req.get('HX-Request') === 'true' && req.get('HX-Boosted') !== 'true';
}

export function createRenderer(assets: Assets, cacheTemplates: boolean): Renderer {
  const eta = new Eta({
    views: paths.views,
    cache: cacheTemplates,
    autoEscape: true,
    autoTrim: [false, 'nl'],
    defaultExtension: '.eta',
  });

  return {
    eta,
    render(req, res, view, data = {}, opts = {}) {
      const ctx: ViewContext = {
        path: req.path,
        requestId: req.requestId,
        csrf: () => req.csrfToken?.() ?? '',
        asset: assets.url,
        canSwitchContext: false,
        nav: [],
        flash: [],
        pupilData: true,
        enhanced: false,
        knownAs,
        roleLabel,
        ...(res.locals.ctx as Partial<ViewContext> | undefined),
      };
      const template = opts.fragment && isHtmx(req) ? opts.fragment : view;
      const html = eta.render(template, { ...data, ctx });
      res.vary('HX-Request');
      res
        .status(opts.status ?? 200)
        .type('html')
        .send(html);
    },
  };
}
