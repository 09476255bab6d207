import { type Request, type Response, Router } from 'express';
import type { AppDeps } from '../../http/deps.js';
import { uuidParam } from '../../http/forms.js';
import { actorOf, requireSignIn } from '../../http/guards.js';
import { parseFilters, parseQuery } from '../../http/query.js';
import { yearGroupLabel } from '../../lib/year-groups.js';
import { can } from '../../policy/index.js';
import * as pupils from '../pupils/index.js';
import { classOverview } from './analysis-service.js';
import { termLabel } from './frameworks-service.js';

/**
 * The class page (/groups/:id): a group's pupils with their latest assessments, for everyone who
 * may open the group, with pupils' forms to add pupils and staff for leaders. It shows assessments'
 * data, so it is served here; the forms on it are pupils' routes, given this page to show again
 * when they are refused.
 */
export function classRoutes(deps: AppDeps): Router {
  const router = Router();
  const { renderer, db } = deps;

  const classPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const actor = actorOf(req);
    const id = uuidParam(req, 'id', 'class or group');
    const manage = can(actor, 'group.manage');
    // I4: only managers see the "add pupils" search, so only they get its errors shown by its fields.
    const query = parseQuery(pupils.groupPageQuery, req.query);
    const search = parseFilters(pupils.groupAddQuery, req.query, manage ? pupils.groupAddFields : []);
    const data = await classOverview(db, actor, id, query.term);
    const addQ = search.ok ? (search.data.add_q ?? '') : (search.values.add_q ?? '');
    const addYear = search.ok ? (search.data.add_year ?? data.group.year_group ?? undefined) : search.values.add_year;
    const candidates = manage && search.ok && query.add ? await pupils.candidates(db, actor, id, addQ, addYear) : null;
    const staffOptions = can(actor, 'group.assign_staff') ? await pupils.staffOptions(db, actor) : null;
    res.locals.ctx.pupilData = true;
    renderer.render(
      req,
      res,
      'pupils/group',
      {
        title: data.group.name,
        ...data,
        manage,
        candidates,
        addQ,
        addYear,
        staffOptions,
        kindLabels: pupils.kindLabels,
        yearGroups: await pupils.yearGroupChoices(db, actor),
        yearGroupLabel,
        errors: search.ok ? {} : search.errors,
        sortByName: query.sort === 'name',
        termLabel,
        canRecord: can(actor, 'assessment.record'),
        canProvisionMap: can(actor, 'provision.export'),
        ...extra,
      },
      {
        status: search.ok ? status : 400,
        fragment: req.get('HX-Target') === 'candidates' ? 'pupils/_candidates' : undefined,
      },
    );
  };

  router.get('/groups/:id', requireSignIn, (req, res) => classPage(req, res));
  router.use(pupils.groupMemberRoutes(deps, classPage));
  return router;
}
