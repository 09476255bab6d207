import { type Request, type Response, Router } from 'express';
import type { AppDeps } from '../../http/deps.js';
import { flash } from '../../http/flash.js';
import type { z } from 'zod';
import { StaleWrite } from '../../db/versioned.js';
import { FieldError, type FormPost, formPost } from '../../http/form-page.js';
import { newSubmissionKey, uuidParam } from '../../http/forms.js';
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

/** The record and its version or submission key, checked together so every problem shows at once. */
const addSchema = pupilRecordSchema.and(schemas.pupilFormMeta);
const changeSchema = pupilRecordSchema.and(schemas.pupilFormMeta.extend({ version: schemas.leaveForm.shape.version }));

export function recordRoutes(deps: AppDeps, profile: ProfilePage): Router {
  const router = Router();
  const { renderer, db } = deps;

  const formPage = (req: Request, res: Response, data: Record<string, unknown>, status = 200) => {
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

  const addPage: FormPost<typeof addSchema>['page'] = (req, res, state, status) =>
    formPage(
      req,
      res,
      {
        title: 'Add a pupil',
        values: state.values,
        action: '/pupils',
        submissionKey: state.submissionKey,
        errors: state.errors,
      },
      status,
    );

  router.post(
    '/pupils',
    formPost({
      schema: addSchema,
      page: addPage,
      save: async (req, res, { version: _v, submissionKey, ...record }) => {
        const id = await service.createPupil(db, actorOf(req), record, submissionKey);
        flash(req, 'Pupil added.');
        res.redirect(303, id ? `/pupils/${id}` : '/pupils');
      },
    }),
  );

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

  const changeTitle = 'Change pupil details';
  const changePage = (req: Request, res: Response, data: Record<string, unknown>, status: number) => {
    const id = uuidParam(req, 'id', 'pupil');
    formPage(req, res, { title: changeTitle, action: `/pupils/${id}`, pupilId: id, ...data }, status);
  };

  router.post(
    '/pupils/:id',
    formPost({
      schema: changeSchema,
      page: (req, res, state, status) =>
        changePage(req, res, { values: state.values, version: state.values.version, errors: state.errors }, status),
      save: async (req, res, { version, submissionKey: _k, ...record }) => {
        const id = uuidParam(req, 'id', 'pupil');
        let changed: string[];
        try {
          changed = await service.updatePupil(db, actorOf(req), id, record, version);
        } catch (err) {
          if (!(err instanceof StaleWrite)) throw err;
          // R5: nothing was saved. Show their version beside the current one, ready to save again on purpose.
          const current = formValues(err.current);
          const yours = req.body as Record<string, string>;
          const differences = editableFields.filter((f) => String(yours[f] ?? '') !== current[f]);
          return changePage(
            req,
            res,
            { values: yours, version: err.current.version, conflict: { current, differences } },
            409,
          );
        }
        flash(
          req,
          changed.length
            ? `Saved. Changed: ${changed.map((f) => f.replace(/_/g, ' ')).join(', ')}.`
            : 'No changes to save.',
          changed.length ? 'success' : 'info',
        );
        res.redirect(303, `/pupils/${id}`);
      },
    }),
  );

  // The leave and return forms are on the profile, which shows them again when refused.
  const onProfile: FormPost<z.ZodType>['page'] = (req, res, state, status) =>
    profile.withErrors(req, res, state.errors, state.values, status);

  router.post(
    '/pupils/:id/leave',
    formPost({
      schema: schemas.leaveForm,
      page: onProfile,
      save: async (req, res, data) => {
        try {
          await service.setLeaving(
            db,
            actorOf(req),
            uuidParam(req, 'id', 'pupil'),
            { leaving_date: data.leaving_date!, leaving_reason: data.leaving_reason! },
            data.version,
          );
        } catch (err) {
          // R5: the page shows the record as it is now; the form keeps what was typed, with the new version.
          if (err instanceof StaleWrite)
            throw new FieldError(
              'leaving_date',
              'Someone else changed this pupil after you opened the page, so nothing was saved. Check the record, then mark them as left again.',
              409,
            );
          throw err;
        }
        profile.back(req, res, 'Marked as left. They no longer appear in lists unless you choose “Left”.');
      },
    }),
  );

  router.post(
    '/pupils/:id/return',
    formPost({
      schema: schemas.returnForm,
      page: onProfile,
      save: async (req, res, data) => {
        try {
          await service.setLeaving(db, actorOf(req), uuidParam(req, 'id', 'pupil'), null, data.version);
        } catch (err) {
          if (!(err instanceof StaleWrite)) throw err;
          flash(
            req,
            'Someone else changed this pupil after you opened the page, so nothing was saved. Check the record and try again.',
            'info',
          );
          return res.redirect(303, `/pupils/${uuidParam(req, 'id', 'pupil')}`);
        }
        profile.back(req, res, 'Returned to the roll.');
      },
    }),
  );

  return router;
}
