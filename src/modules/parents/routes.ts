import { Router } from 'express';
import type { AppDeps } from '../../http/deps.js';
import { actorOf, requireSignIn } from '../../http/guards.js';
import { yearGroupLabel } from '../../lib/year-groups.js';
import * as service from './service.js';

/** The parent portal: a parent's home page with their linked children. */
export function parentRoutes(deps: AppDeps): Router {
  const router = Router();
  const { renderer, db } = deps;

  router.get('/parent', requireSignIn, async (req, res) => {
    const children = await service.parentChildren(db, actorOf(req));
    renderer.render(req, res, 'parents/home', { title: 'Your children', children, yearGroupLabel });
  });

  return router;
}
