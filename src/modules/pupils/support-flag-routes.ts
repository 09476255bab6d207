import { type Request, type Response, Router } from 'express';
import type { AppDeps } from '../../http/deps.js';
import { flash } from '../../http/flash.js';
import { parseForm, uuidParam } from '../../http/forms.js';
import { actorOf } from '../../http/guards.js';
import type { ProfilePage } from './profile-page.js';
import * as flags from './support-flags-service.js';
import * as schemas from './schemas.js';

/** Support flags: on a pupil (from the profile) and the school's own list. */
export function supportFlagRoutes(deps: AppDeps, profile: ProfilePage): Router {
  const router = Router();
  const { renderer, db } = deps;

  router.post('/pupils/:id/flags', async (req, res) => {
    const parsed = parseForm(schemas.pupilFlagForm, req.body);
    if (!parsed.ok) return profile.withErrors(req, res, parsed.errors, { flag: req.body });
    await flags.addFlag(
      db,
      actorOf(req),
      uuidParam(req, 'id', 'pupil'),
      parsed.data.flag_id,
      parsed.data.start_date!,
      parsed.data.end_date,
      parsed.data.submissionKey,
    );
    profile.back(req, res, 'Support flag added.');
  });

  router.post('/pupils/:id/flags/:pfid/end', async (req, res) => {
    const parsed = parseForm(schemas.endDateForm, req.body);
    if (!parsed.ok)
      return profile.withErrors(
        req,
        res,
        { [`flag_end_${req.params.pfid}`]: parsed.errors.end_date ?? 'Enter the end date' },
        {},
      );
    await flags.endFlag(
      db,
      actorOf(req),
      uuidParam(req, 'id', 'pupil'),
      uuidParam(req, 'pfid', 'support flag'),
      parsed.data.end_date!,
    );
    profile.back(req, res, 'Support flag ended.');
  });

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

  router.post('/support-flags', async (req, res) => {
    const parsed = parseForm(schemas.supportFlagForm, req.body);
    if (!parsed.ok) return flagsPage(req, res, { errors: parsed.errors, values: req.body }, 422);
    try {
      await flags.createSupportFlag(db, actorOf(req), parsed.data.name, parsed.data.description);
    } catch (err) {
      if (err instanceof flags.DuplicateFlag)
        return flagsPage(req, res, { errors: { name: err.message }, values: req.body }, 422);
      throw err;
    }
    flash(req, `Support flag “${parsed.data.name}” created.`);
    res.redirect(303, '/support-flags');
  });

  router.post('/support-flags/:id/archive', async (req, res) => {
    await flags.archiveSupportFlag(db, actorOf(req), uuidParam(req, 'id', 'support flag'));
    flash(req, 'Support flag archived. Pupils keep their history.');
    res.redirect(303, '/support-flags');
  });

  return router;
}
