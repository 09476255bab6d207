import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../http/deps.js';
import { isHtmx } from '../../http/render.js';
import { uuidParam } from '../../http/forms.js';
import { parseQuery, queryUuid } from '../../http/query.js';
import { actorOf, requireSignIn } from '../../http/guards.js';
import { BadRequest } from '../../errors.js';
import { parseDate } from '../../lib/dates.js';
import { termLabel } from './frameworks-service.js';
import * as scores from './scores-service.js';

const uuidRe = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const cellField = new RegExp(`^l:(${uuidRe}):(${uuidRe})$`);
const stampField = new RegExp(`^stamp:(${uuidRe})$`);

/** Which framework and term to show (I4: a bad one is a 400 naming it, not silently ignored). */
const gridQuery = z.object({
  framework: queryUuid('assessment', 'Choose an assessment from the list'),
  term: queryUuid('term'),
});

/** Reads the grid form: `l:<pupil>:<item>` = level id (or blank), `stamp:<pupil>`, the date, framework and term. */
function readGrid(
  body: Record<string, unknown>,
  onlyPupil?: string,
): { input: scores.SaveInput; typed: Record<string, string>; dateError?: string } {
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const rows = new Map<string, scores.RowInput>();
  const typed: Record<string, string> = {};
  for (const [key, value] of Object.entries(body ?? {})) {
    const cell = cellField.exec(key);
    if (cell) {
      const [, pupilId, itemId] = cell as unknown as [string, string, string];
      if (onlyPupil && pupilId !== onlyPupil) continue;
      const row = rows.get(pupilId) ?? { pupilId, stamp: '', levels: {} };
      row.levels[itemId] = str(value);
      typed[scores.cellKey(pupilId, itemId)] = str(value);
      rows.set(pupilId, row);
    }
  }
  for (const [key, value] of Object.entries(body ?? {})) {
    const stamp = stampField.exec(key);
    if (stamp && rows.has(stamp[1]!)) rows.get(stamp[1]!)!.stamp = str(value);
  }
  const frameworkId = z.uuid().safeParse(body?.framework_id);
  const termId = z.uuid().safeParse(body?.term_id);
  if (!frameworkId.success || !termId.success)
    throw new BadRequest('The form is out of date. Reload the page and try again.');
  const assessedOn = parseDate(str(body?.assessed_on));
  return {
    input: {
      frameworkId: frameworkId.data,
      termId: termId.data,
      assessedOn: assessedOn ?? '',
      rows: [...rows.values()],
    },
    typed,
    ...(assessedOn ? {} : { dateError: 'Enter the date of the assessment, like 14/11/2026' }),
  };
}

/**
 * Recording assessments: the whole-class grid (htmx saves each row as you go; without JavaScript
 * the whole grid posts) and the single-pupil form. A save always answers 200 with the page or row,
 * whether or not a safeguarding prompt is shown, so nothing about the prompt reaches the logs (P16).
 */
export function entryRoutes(deps: AppDeps): Router {
  const router = Router();
  const { renderer, db } = deps;

  const gridPage = async (
    req: Request,
    res: Response,
    extra: Record<string, unknown> = {},
    status = 200,
    fragment?: string,
  ) => {
    const groupId = uuidParam(req, 'id', 'class or group');
    const q = parseQuery(gridQuery, {
      ...req.query,
      ...(req.method === 'POST' ? { framework: req.body?.framework_id, term: req.body?.term_id } : {}),
    });
    const data = await scores.groupEntry(db, actorOf(req), groupId, q.framework, q.term);
    res.setHeader('Cache-Control', 'no-store');
    renderer.render(
      req,
      res,
      'assessments/grid',
      {
        title: `${data.framework.name}: ${data.group.name}`,
        ...data,
        termLabel,
        errors: {},
        typed: {},
        conflicts: [],
        saved: null,
        concerns: [],
        ...extra,
      },
      { status, ...(fragment ? { fragment } : {}) },
    );
  };

  router.get('/groups/:id/grid', requireSignIn, (req, res) => gridPage(req, res));

  // Not formPost: many rows save at once with per-row results and conflicts, answered 200 (page or htmx row).
  const save = async (req: Request, res: Response, onlyPupil?: string) => {
    const groupId = uuidParam(req, 'id', 'class or group');
    const { input, typed, dateError } = readGrid(req.body, onlyPupil);
    const fragment = onlyPupil && isHtmx(req) ? 'assessments/_grid-row-response' : undefined;
    if (dateError) return gridPage(req, res, { errors: { assessed_on: dateError }, typed, onlyPupil }, 422, fragment);
    const result = await scores.saveScores(db, actorOf(req), input, { groupId });
    if (!result.ok) {
      return gridPage(
        req,
        res,
        { errors: result.errors, typed, conflicts: result.conflicts, onlyPupil },
        result.conflicts.length ? 409 : 422,
        fragment,
      );
    }
    return gridPage(
      req,
      res,
      {
        saved: result.rows,
        concerns: result.rows.filter((r) => r.concerns.length),
        dsl: result.dsl,
        onlyPupil,
        assessedOnTyped: req.body?.assessed_on,
      },
      200,
      fragment,
    );
  };

  router.post('/groups/:id/grid', requireSignIn, (req, res) => save(req, res));
  router.post('/groups/:id/grid/rows/:pupilId', requireSignIn, (req, res) =>
    save(req, res, uuidParam(req, 'pupilId', 'pupil')),
  );

  // One pupil -------------------------------------------------------------------------------------
  const pupilPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const pupilId = uuidParam(req, 'id', 'pupil');
    const q = parseQuery(gridQuery, {
      ...req.query,
      ...(req.method === 'POST' ? { framework: req.body?.framework_id, term: req.body?.term_id } : {}),
    });
    const data = await scores.pupilEntry(db, actorOf(req), pupilId, q.framework, q.term);
    renderer.render(
      req,
      res,
      'assessments/pupil-form',
      {
        title: `Record ${data.framework.name.toLowerCase()}`,
        ...data,
        termLabel,
        errors: {},
        typed: {},
        conflicts: [],
        saved: null,
        concerns: [],
        ...extra,
      },
      { status },
    );
  };

  router.get('/pupils/:id/assess', requireSignIn, (req, res) => pupilPage(req, res));

  // Not formPost, as the grid: the saved rows and any prompt come back on the page itself (P16), not a redirect.
  router.post('/pupils/:id/assess', requireSignIn, async (req, res) => {
    const pupilId = uuidParam(req, 'id', 'pupil');
    const { input, typed, dateError } = readGrid(req.body, pupilId);
    if (dateError) return pupilPage(req, res, { errors: { assessed_on: dateError }, typed }, 422);
    const result = await scores.saveScores(db, actorOf(req), input, { pupilId });
    if (!result.ok)
      return pupilPage(
        req,
        res,
        { errors: result.errors, typed, conflicts: result.conflicts },
        result.conflicts.length ? 409 : 422,
      );
    return pupilPage(req, res, {
      saved: result.rows,
      concerns: result.rows.filter((r) => r.concerns.length),
      dsl: result.dsl,
      assessedOnTyped: req.body?.assessed_on,
    });
  });

  return router;
}
