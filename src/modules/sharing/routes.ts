import { Router } from 'express';
import type { AppDeps } from '../../http/deps.js';
import { uuidParam } from '../../http/forms.js';
import { actorOf, requireSignIn } from '../../http/guards.js';
import { yearGroupLabel } from '../../lib/year-groups.js';
import * as service from './service.js';

/** The trust/LA portal: its schools, and a sharing school's pupils (read-only). */
export function sharingRoutes(deps: AppDeps): Router {
  const router = Router();
  const { renderer, db } = deps;

  router.get('/trust', requireSignIn, async (req, res) => {
    const schools = await service.sharedSchools(db, actorOf(req));
    renderer.render(req, res, 'sharing/schools', { title: 'Schools', schools });
  });

  router.get('/trust/schools/:id', requireSignIn, async (req, res) => {
    const data = await service.sharedSchoolPupils(db, actorOf(req), uuidParam(req, 'id', 'school'));
    renderer.render(req, res, 'sharing/school', { title: data.school.name, ...data, yearGroupLabel });
  });

  return router;
}
