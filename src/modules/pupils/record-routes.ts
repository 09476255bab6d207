import { type Request, type Response, Router } from 'express';
import type { AppDeps } from '../../http/deps.js';
import { flash } from '../../http/flash.js';
import { newSubmissionKey, parseForm, uuidParam } from '../../http/forms.js';
import { actorOf } from '../../http/guards.js';
import { ukDate } from '../../lib/dates.js';
import { labels } from './list-routes.js';
import type { ProfilePage } from './profile-page.js';
import * as service from './pupil-service.js';
import { editableFields, pupilRecordSchema } from './record.js';
import * as schemas from './schemas.js';

/** The pupil record itself: add, change (R5 conflicts shown side by side), leave and return. */

/** A stored record as the strings the form shows. */
function formValues(p: object): Record<string, string> {
  return Object.fromEntries(
    editableFields.map((f) => {
      const v = (p as Record<string, unknown>)[f];
      if (v === null || v === undefined) return [f, ''];
      if (typeof v === 'boolean') return [f, v ? 'Y' : 'N'];
      if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)) return [f, ukDate(v)];
      return [f, String(v)];
    }),
  );
}

export function recordRoutes(deps: AppDeps, profile: ProfilePage): Router {
  const router = Router();
  const { renderer, db } = deps;

  const formPage = (req: Request, res: Response, data: Record<string, unknown>, status = 200) => {
    res.locals.ctx.pupilData = true;
    renderer.render(req, res, 'pupils/form', { errors: {}, labels, ...data }, { status });
  };

  router.get('/pupils/new', (req, res) => {
    service.assertMayCreate(actorOf(req));
    formPage(req, res, {
      title: 'Add a pupil',
      values: { sen_status: 'N', sex: '' },
      action: '/pupils',
      submissionKey: newSubmissionKey(),
    });
  });

  router.post('/pupils', async (req, res) => {
    const record = parseForm(pupilRecordSchema, req.body);
    const meta = parseForm(schemas.pupilFormMeta, req.body);
    if (!record.ok || !meta.ok) {
      return formPage(
        req,
        res,
        {
          title: 'Add a pupil',
          values: req.body,
          action: '/pupils',
          submissionKey: req.body?.submissionKey,
          errors: { ...(record.ok ? {} : record.errors), ...(meta.ok ? {} : meta.errors) },
        },
        422,
      );
    }
    let id: string | null;
    try {
      id = await service.createPupil(db, actorOf(req), record.data, meta.data.submissionKey);
    } catch (err) {
      if (err instanceof service.DuplicateIdentifier)
        return formPage(
          req,
          res,
          {
            title: 'Add a pupil',
            values: req.body,
            action: '/pupils',
            submissionKey: newSubmissionKey(),
            errors: { [err.field]: err.message },
          },
          422,
        );
      throw err;
    }
    flash(req, 'Pupil added.');
    res.redirect(303, id ? `/pupils/${id}` : '/pupils');
  });

  router.get('/pupils/:id/edit', async (req, res) => {
    const id = uuidParam(req, 'id', 'pupil');
    const pupil = await service.getForEdit(db, actorOf(req), id);
    formPage(req, res, {
      title: `Change ${pupil.legal_forename} ${pupil.surname}`,
      values: formValues(pupil),
      version: pupil.version,
      action: `/pupils/${id}`,
      pupilId: id,
    });
  });

  router.post('/pupils/:id', async (req, res) => {
    const id = uuidParam(req, 'id', 'pupil');
    const record = parseForm(pupilRecordSchema, req.body);
    const meta = parseForm(schemas.pupilFormMeta.extend({ version: schemas.leaveForm.shape.version }), req.body);
    const title = 'Change pupil details';
    if (!record.ok || !meta.ok) {
      return formPage(
        req,
        res,
        {
          title,
          values: req.body,
          version: req.body?.version,
          action: `/pupils/${id}`,
          pupilId: id,
          errors: { ...(record.ok ? {} : record.errors), ...(meta.ok ? {} : meta.errors) },
        },
        422,
      );
    }
    let result: service.UpdateResult;
    try {
      result = await service.updatePupil(db, actorOf(req), id, record.data, meta.data.version!);
    } catch (err) {
      if (err instanceof service.DuplicateIdentifier)
        return formPage(
          req,
          res,
          {
            title,
            values: req.body,
            version: req.body?.version,
            action: `/pupils/${id}`,
            pupilId: id,
            errors: { [err.field]: err.message },
          },
          422,
        );
      throw err;
    }
    if (!result.ok) {
      // R5: nothing was saved. Show their version beside the current one, ready to save again on purpose.
      const current = formValues(result.current);
      const yours = req.body as Record<string, string>;
      const differences = editableFields.filter((f) => String(yours[f] ?? '') !== current[f]);
      return formPage(
        req,
        res,
        {
          title,
          values: yours,
          version: result.current.version,
          action: `/pupils/${id}`,
          pupilId: id,
          conflict: { current, differences },
        },
        409,
      );
    }
    flash(
      req,
      result.changed.length
        ? `Saved. Changed: ${result.changed.map((f) => f.replace(/_/g, ' ')).join(', ')}.`
        : 'No changes to save.',
      result.changed.length ? 'success' : 'info',
    );
    res.redirect(303, `/pupils/${id}`);
  });

  router.post('/pupils/:id/leave', async (req, res) => {
    const parsed = parseForm(schemas.leaveForm, req.body);
    if (!parsed.ok) return profile.withErrors(req, res, parsed.errors, req.body);
    const result = await service.setLeaving(
      db,
      actorOf(req),
      uuidParam(req, 'id', 'pupil'),
      { leaving_date: parsed.data.leaving_date!, leaving_reason: parsed.data.leaving_reason! },
      parsed.data.version,
    );
    // R5: the page shows the record as it is now; the form keeps what was typed, with the new version.
    if (!result.ok)
      return profile.withErrors(
        req,
        res,
        {
          leaving_date:
            'Someone else changed this pupil after you opened the page, so nothing was saved. Check the record, then mark them as left again.',
        },
        req.body,
        409,
      );
    profile.back(req, res, 'Marked as left. They no longer appear in lists unless you choose “Left”.');
  });

  router.post('/pupils/:id/return', async (req, res) => {
    const parsed = parseForm(schemas.returnForm, req.body);
    if (!parsed.ok) return profile.withErrors(req, res, parsed.errors, req.body);
    const result = await service.setLeaving(db, actorOf(req), uuidParam(req, 'id', 'pupil'), null, parsed.data.version);
    if (!result.ok) {
      flash(
        req,
        'Someone else changed this pupil after you opened the page, so nothing was saved. Check the record and try again.',
        'info',
      );
      return res.redirect(303, `/pupils/${uuidParam(req, 'id', 'pupil')}`);
    }
    profile.back(req, res, 'Returned to the roll.');
  });

  return router;
}
