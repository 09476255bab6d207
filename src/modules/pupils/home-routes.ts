import { Router } from 'express';
import type { Database } from '../../db/index.js';
import type { AppDeps } from '../../http/deps.js';
import { actorOf, requireSignIn } from '../../http/guards.js';
import { yearGroupLabel } from '../../lib/year-groups.js';
import { assertStaff, can, type StaffActor } from '../../policy/index.js';
import { firstRunSteps, homeGroups } from './home-service.js';

/** Where each kind of user starts: staff see their groups here; the others have their own portals. */
const homeFor: Record<string, string> = { trust: '/trust', la: '/trust', operator: '/operator', parent: '/parent' };

/**
 * What a higher module adds to a member of staff's home page (assessments adds the DSL's list of
 * new restricted notes and low wellbeing, and the term dates for the first-run checklist). Pupils
 * knows nothing of it: the higher module passes its sections in when it mounts this router, as
 * with the profile's sections. Each section asks the policy itself and returns {} when not allowed.
 */
export type HomeSection = (db: Database, actor: StaffActor) => Promise<Record<string, unknown>>;

export function homeRoutes(deps: AppDeps, sections: readonly HomeSection[] = []): Router {
  const router = Router();
  const { renderer, db } = deps;

  router.get('/', requireSignIn, async (req, res) => {
    const actor = actorOf(req);
    const elsewhere = homeFor[actor.kind];
    if (elsewhere) return res.redirect(303, elsewhere);
    const staff = assertStaff(actor, 'group.read');
    const { groups, wholeSchool } = await homeGroups(db, staff);
    const extra: Record<string, unknown> = {};
    for (const section of sections) Object.assign(extra, await section(db, staff));
    // A school admin sees what is left to set up, until the school has pupils, groups, staff and a DSL.
    const firstRun = can(staff, 'settings.manage') ? await firstRunSteps(db, staff) : null;
    renderer.render(req, res, 'pupils/home', {
      title: 'Home',
      groups,
      wholeSchool,
      yearGroupLabel,
      firstRun,
      canManageGroups: can(staff, 'group.manage'),
      ...extra,
    });
  });

  return router;
}
