import { Router } from 'express';
import type { AppDeps } from '../../http/deps.js';
import { requireSignIn } from '../../http/guards.js';
import { contactRoutes } from './contact-routes.js';
import { fsmRoutes } from './fsm-routes.js';
import { type ProfileSection, profilePage } from './profile-page.js';
import { recordRoutes } from './record-routes.js';
import { supportFlagRoutes } from './support-flag-routes.js';

/**
 * One pupil's pages: the profile and its print view, the record form, contacts, FSM periods and
 * support flags (every form on the profile shows the profile again when refused). `sections` are
 * what higher modules add to the profile; the module that adds them mounts this router.
 */
export function pupilPages(deps: AppDeps, sections: readonly ProfileSection[] = []): Router {
  const router = Router();
  router.use('/pupils', requireSignIn);
  router.use('/support-flags', requireSignIn);
  const profile = profilePage(deps, sections);
  // /pupils/new before /pupils/:id.
  router.use(recordRoutes(deps, profile));
  router.get('/pupils/:id', (req, res) => profile.show(req, res));
  router.get('/pupils/:id/print', (req, res) => profile.print(req, res));
  router.use(contactRoutes(deps, profile));
  router.use(fsmRoutes(deps, profile));
  router.use(supportFlagRoutes(deps, profile));
  return router;
}
