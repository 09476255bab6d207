import { Router } from 'express';
import type { AppDeps } from '../../http/deps.js';
import { uuidParam } from '../../http/forms.js';
import { actorOf, requireSignIn } from '../../http/guards.js';
import { yearGroupLabel } from '../../lib/year-groups.js';
import * as service from './service.js';

const homeFor: Record<string, string> = { trust: '/trust', la: '/trust', operator: '/operator', parent: '/parent' };

export function pupilRoutes(deps: AppDeps): Router {
  const router = Router();
  const { renderer, db } = deps;

  router.get('/', requireSignIn, async (req, res) => {
    const actor = actorOf(req);
    const elsewhere = homeFor[actor.kind];
    if (elsewhere) return res.redirect(303, elsewhere);
    const { groups, wholeSchool } = await service.homeGroups(db, actor);
    renderer.render(req, res, 'pupils/home', { title: 'Home', groups, wholeSchool, yearGroupLabel });
  });

  router.get('/trust', requireSignIn, async (req, res) => {
    const schools = await service.sharedSchools(db, actorOf(req));
    renderer.render(req, res, 'pupils/trust-schools', { title: 'Schools', schools });
  });

  router.get('/trust/schools/:id', requireSignIn, async (req, res) => {
    const data = await service.sharedSchoolPupils(db, actorOf(req), uuidParam(req, 'id', 'school'));
    res.locals.ctx.pupilData = true;
    renderer.render(req, res, 'pupils/trust-school', { title: data.school.name, ...data, yearGroupLabel });
  });

  router.get('/parent', requireSignIn, async (req, res) => {
    const children = await service.parentChildren(db, actorOf(req));
    renderer.render(req, res, 'pupils/parent-home', { title: 'Your children', children, yearGroupLabel });
  });

  return router;
}
