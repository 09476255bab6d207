import { Router } from 'express';
import type { AppDeps } from '../../http/deps.js';
import { actorOf, requireSignIn } from '../../http/guards.js';
import { parseFilters, parseQuery } from '../../http/query.js';
import { isHtmx } from '../../http/render.js';
import { can } from '../../policy/index.js';
import { toCsv } from './csv.js';
import { csvColumns, exportRow } from './import-format.js';
import * as service from './list-service.js';
import { ethnicityLabels, senNeedLabels, senStatusLabels, sexLabels } from './reference.js';
import * as schemas from './schemas.js';
import { continuesSearch, markSearch } from './search-audit.js';
import { today, ukDate } from '../../lib/dates.js';
import { yearGroupLabel, yearGroups } from '../../lib/year-groups.js';

/** The labels every pupil page shows codes with. */
export const labels = { sexLabels, ethnicityLabels, senStatusLabels, senNeedLabels, yearGroupLabel, yearGroups };

/** The list's state as a query string, for links that keep it (sort, pages, export). */
export function queryString(q: schemas.ListQuery, change: Partial<schemas.ListQuery> = {}): string {
  const merged = { ...q, ...change };
  const defaults: Record<string, unknown> = { status: 'on_roll', sort: 'name', dir: 'asc', page: 1 };
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(merged))
    if (v !== undefined && v !== '' && defaults[k] !== v) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** The pupil list (find, filter, sort, page; live with htmx) and its CSV download. */
export function pupilListRoutes(deps: AppDeps): Router {
  const router = Router();
  const { renderer, db } = deps;

  router.get('/pupils', requireSignIn, async (req, res) => {
    const actor = actorOf(req);
    const parsed = parseFilters(schemas.listQuery, req.query, schemas.listFormFields);
    const page = {
      title: 'Pupils',
      labels,
      ukDate,
      canCreate: can(actor, 'pupil.create'),
      canImport: can(actor, 'pupil.import'),
      canExport: can(actor, 'pupil.export'),
      canProvisionMap: can(actor, 'provision.export'),
    };
    if (!parsed.ok) {
      // I4: the form again with each problem by its field, keeping what was typed; nothing is searched.
      const choices = await service.listChoices(db, actor);
      const query = { status: 'on_roll', sort: 'name', dir: 'asc', ...parsed.values };
      return renderer.render(
        req,
        res,
        'pupils/list',
        {
          ...page,
          ...choices,
          rows: [],
          total: 0,
          page: 1,
          pages: 1,
          query,
          qs: () => '',
          errors: parsed.errors,
        },
        { fragment: 'pupils/_list-results', status: 400 },
      );
    }
    const query = parsed.data;
    const { page: pageNumber, ...filters } = query;
    // One audit row per live search, not per key (search-audit.ts); full page loads always write one.
    const live = isHtmx(req);
    const now = Date.now();
    const continued = live && continuesSearch(req.session.pupilSearch, query, now);
    const result = await service.listPupils(db, actor, filters, pageNumber, { coveredBySearch: continued });
    if (live) req.session.pupilSearch = markSearch(req.session.pupilSearch, query, now, continued);
    renderer.render(
      req,
      res,
      'pupils/list',
      {
        ...page,
        ...result,
        query,
        qs: (c: Partial<schemas.ListQuery> = {}) => queryString(query, c),
        errors: {},
      },
      { fragment: 'pupils/_list-results' },
    );
  });

  // A download has no form to show errors by: a bad filter is the standard 400 page.
  router.get('/pupils/export.csv', requireSignIn, async (req, res) => {
    const { page: _page, ...filters } = parseQuery(schemas.listQuery, req.query);
    const rows = await service.exportPupils(db, actorOf(req), filters);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="pupils-${today()}.csv"`);
    res.send(toCsv(csvColumns, rows.map(exportRow)));
  });

  return router;
}
