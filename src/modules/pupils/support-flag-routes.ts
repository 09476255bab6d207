import { type Request, type Response, Router } from 'express';
import type { AppDeps } from '../../http/deps.js';
import { flash } from '../../http/flash.js';
import { formPost } from '../../http/form-page.js';
import { uuidParam } from '../../http/forms.js';
import { actorOf } from '../../http/guards.js';
import type { ProfilePage } from './profile-page.js';
import * as flags from './support-flags-service.js';
import * as schemas from './schemas.js';

/** Support flags: on a pupil (from the profile) and the school's own list. */
export function supportFlagRoutes(deps: AppDeps, profile: ProfilePage): Router {
  const router = Router();
  const { renderer, db } = deps;

  router.post(
    '/pupils/:id/flags',
    formPost({
      schema: schemas.pupilFlagForm,
      page: (req, res, state, status) => profile.withErrors(req, res, state.errors, { flag: state.values }, status),
      save: async (req, res, data) => {
        await flags.addFlag(
          db,
          actorOf(req),
          uuidParam(req, 'id', 'pupil'),
          data.flag_id,
          data.start_date!,
          data.end_date,
          data.submissionKey,
        );
        profile.back(req, res, 'Support flag added.');
      },
    }),
  );

  router.post(
    '/pupils/:id/flags/:pfid/end',
    formPost({
      schema: schemas.endDateForm,
      // Each flag has its own end form on the profile; the message goes beside that one.
      page: (req, res, state, status) =>
        profile.withErrors(
          req,
          res,
          { [`flag_end_${req.params.pfid}`]: state.errors.end_date ?? 'Enter the end date' },
          {},
          status,
        ),
      save: async (req, res, data) => {
        await flags.endFlag(
          db,
          actorOf(req),
          uuidParam(req, 'id', 'pupil'),
          uuidParam(req, 'pfid', 'support flag'),
          data.end_date!,
        );
        profile.back(req, res, 'Support flag ended.');
      },
    }),
  );

  // The school's support flags ------------------------------------------------------------------------
  const flagsPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const schoolFlags = await flags.listSupportFlags(db, actorOf(req));
    renderer.render(
      req,
      res,
      'pupils/support-flags',
      { title: 'Support flags', flags: schoolFlags, errors: {}, values: {}, ...extra },
      { status },
    );
  };

  router.get('/support-flags', (req, res) => flagsPage(req, res));

  router.post(
    '/support-flags',
    formPost({
      schema: schemas.supportFlagForm,
      page: (req, res, state, status) => flagsPage(req, res, { errors: state.errors, values: state.values }, status),
      save: async (req, res, data) => {
        await flags.createSupportFlag(db, actorOf(req), data.name, data.description);
        flash(req, `Support flag “${data.name}” created.`);
        res.redirect(303, '/support-flags');
      },
    }),
  );

  router.post('/support-flags/:id/archive', async (req, res) => {
    await flags.archiveSupportFlag(db, actorOf(req), uuidParam(req, 'id', 'support flag'));
    flash(req, 'Support flag archived. Pupils keep their history.');
    res.redirect(303, '/support-flags');
  });

  return router;
}
