import { Router } from 'express';
import type { AppDeps } from '../../http/deps.js';
import { formPost } from '../../http/form-page.js';
import { uuidParam } from '../../http/forms.js';
import { actorOf } from '../../http/guards.js';
import * as fsm from './fsm-service.js';
import type { ProfilePage } from './profile-page.js';
import * as schemas from './schemas.js';

/** A pupil's free-school-meal periods, changed from the profile. */
export function fsmRoutes(deps: AppDeps, profile: ProfilePage): Router {
  const router = Router();
  const { db } = deps;

  router.post(
    '/pupils/:id/fsm',
    formPost({
      schema: schemas.fsmForm,
      page: (req, res, state, status) => profile.withErrors(req, res, state.errors, { fsm: state.values }, status),
      save: async (req, res, data) => {
        await fsm.addFsmPeriod(
          db,
          actorOf(req),
          uuidParam(req, 'id', 'pupil'),
          { start_date: data.start_date!, end_date: data.end_date },
          data.submissionKey,
        );
        profile.back(req, res, 'Free school meal period added.');
      },
    }),
  );

  router.post(
    '/pupils/:id/fsm/:fid/end',
    formPost({
      schema: schemas.endDateForm,
      // Each period has its own end form on the profile; the message goes beside that one.
      page: (req, res, state, status) =>
        profile.withErrors(
          req,
          res,
          { [`fsm_end_${req.params.fid}`]: state.errors.end_date ?? 'Enter the end date' },
          {},
          status,
        ),
      save: async (req, res, data) => {
        await fsm.endFsmPeriod(
          db,
          actorOf(req),
          uuidParam(req, 'id', 'pupil'),
          uuidParam(req, 'fid', 'FSM period'),
          data.end_date!,
        );
        profile.back(req, res, 'Free school meal period ended.');
      },
    }),
  );

  router.post('/pupils/:id/fsm/:fid/remove', async (req, res) => {
    await fsm.removeFsmPeriod(db, actorOf(req), uuidParam(req, 'id', 'pupil'), uuidParam(req, 'fid', 'FSM period'));
    profile.back(req, res, 'Free school meal period removed.');
  });

  return router;
}
