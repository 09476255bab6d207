import { Router } from 'express';
import type { AppDeps } from '../../http/deps.js';
import { actorOf, requireSignIn } from '../../http/guards.js';
import { yearGroupLabel } from '../../lib/year-groups.js';
import { homeGroups } from './home-service.js';

/** Where each kind of user starts: staff see their groups here; the others have their own portals. */
const homeFor: Record<string, string> = { trust: '/trust', la: '/trust', operator: '/operator', parent: '/parent' };

export function homeRoutes(deps: AppDeps): Router {
  const router = Router();
  const { renderer, db } = deps;

  router.get('/', requireSignIn, async (req, res) => {
    const actor = actorOf(req);
    const elsewhere = homeFor[actor.kind];
    if (elsewhere) return res.redirect(303, elsewhere);
    const { groups, wholeSchool } = await homeGroups(db, actor);
    renderer.render(req, res, 'pupils/home', { title: 'Home', groups, wholeSchool, yearGroupLabel });
  });

  return router;
}
