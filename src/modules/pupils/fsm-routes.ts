import { Router } from 'express';
import type { AppDeps } from '../../http/deps.js';
import { parseForm, uuidParam } from '../../http/forms.js';
import { actorOf } from '../../http/guards.js';
import * as fsm from './fsm-service.js';
import type { ProfilePage } from './profile-page.js';
import * as schemas from './schemas.js';

/** A pupil's free-school-meal periods, changed from the profile. */
export function fsmRoutes(deps: AppDeps, profile: ProfilePage): Router {
  const router = Router();
  const { db } = deps;

  router.post('/pupils/:id/fsm', async (req, res) => {
    const parsed = parseForm(schemas.fsmForm, req.body);
    if (!parsed.ok) return profile.withErrors(req, res, parsed.errors, { fsm: req.body });
    await fsm.addFsmPeriod(
      db,
      actorOf(req),
      uuidParam(req, 'id', 'pupil'),
      { start_date: parsed.data.start_date!, end_date: parsed.data.end_date },
      parsed.data.submissionKey,
    );
    profile.back(req, res, 'Free school meal period added.');
  });

  router.post('/pupils/:id/fsm/:fid/end', async (req, res) => {
    const parsed = parseForm(schemas.endDateForm, req.body);
    if (!parsed.ok)
      return profile.withErrors(
        req,
        res,
        { [`fsm_end_${req.params.fid}`]: parsed.errors.end_date ?? 'Enter the end date' },
        {},
      );
    await fsm.endFsmPeriod(
      db,
      actorOf(req),
      uuidParam(req, 'id', 'pupil'),
      uuidParam(req, 'fid', 'FSM period'),
      parsed.data.end_date!,
    );
    profile.back(req, res, 'Free school meal period ended.');
  });

  router.post('/pupils/:id/fsm/:fid/remove', async (req, res) => {
    await fsm.removeFsmPeriod(db, actorOf(req), uuidParam(req, 'id', 'pupil'), uuidParam(req, 'fid', 'FSM period'));
    profile.back(req, res, 'Free school meal period removed.');
  });

  return router;
}
