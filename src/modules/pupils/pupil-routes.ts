import { type Request, type Response, Router } from 'express';
import type { AppDeps } from '../../http/deps.js';
import { flash } from '../../http/flash.js';
import { type FieldErrors, newSubmissionKey, parseForm, uuidParam } from '../../http/forms.js';
import { actorOf, requireSignIn } from '../../http/guards.js';
import { Conflict, NotFound } from '../../errors.js';
import { can, PolicyDenied } from '../../policy/index.js';
import * as details from './details-service.js';
import { ukDate } from '../../lib/dates.js';
import { labels, pupilListRoutes } from './list-routes.js';
import * as service from './pupil-service.js';
import { knownAs } from '../../lib/names.js';
import { pupilHistory } from '../assessments/analysis-service.js';
import { lineChart } from '../assessments/charts.js';
import { termLabel } from '../assessments/frameworks-service.js';
import { editableFields, pupilRecordSchema } from './record.js';
import * as schemas from './schemas.js';

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

export function pupilRecordRoutes(deps: AppDeps): Router {
  const router = Router();
  const { renderer, db } = deps;
  router.use('/pupils', requireSignIn);
  router.use('/support-flags', requireSignIn);

  router.use(pupilListRoutes(deps));

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

  /** The profile with its assessment history, charts and interventions (from the assessments module). */
  const profileData = async (req: Request) => {
    const actor = actorOf(req);
    const id = uuidParam(req, 'id', 'pupil');
    const profile = await service.getProfile(db, actor, id);
    const assessments = can(actor, 'assessment.read') ? await pupilHistory(db, actor, id) : null;
    // One-time keys for the add forms on the profile, so a double submit adds one row (R4).
    const formKeys = { contact: newSubmissionKey(), fsm: newSubmissionKey(), flag: newSubmissionKey() };
    return {
      ...profile,
      assessments,
      lineChart,
      termLabel,
      canRecord: can(actor, 'assessment.record'),
      canReadNotes: can(actor, 'note.read'),
      formKeys,
    };
  };

  router.get('/pupils/:id', async (req, res) => {
    const data = await profileData(req);
    res.locals.ctx.pupilData = true;
    const p = data.pupil;
    renderer.render(req, res, 'pupils/profile', {
      title: `${knownAs(p)} ${p.surname}`,
      ...data,
      labels,
      ukDate,
      errors: {},
      values: {},
      canManageFlags: can(actorOf(req), 'support_flag.manage'),
    });
  });

  router.get('/pupils/:id/print', async (req, res) => {
    const data = await profileData(req);
    res.locals.ctx.pupilData = true;
    const p = data.pupil;
    renderer.render(req, res, 'pupils/print', {
      title: `${knownAs(p)} ${p.surname}`,
      ...data,
      labels,
      ukDate,
      printedAt: new Date(),
    });
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

  const profileWithErrors = async (
    req: Request,
    res: Response,
    errors: FieldErrors,
    values: Record<string, unknown>,
    status = 422,
  ) => {
    const data = await profileData(req);
    res.locals.ctx.pupilData = true;
    const p = data.pupil;
    renderer.render(
      req,
      res,
      'pupils/profile',
      {
        title: `${knownAs(p)} ${p.surname}`,
        ...data,
        labels,
        ukDate,
        errors,
        values,
        canManageFlags: can(actorOf(req), 'support_flag.manage'),
      },
      { status },
    );
  };

  const backToProfile = (req: Request, res: Response, message: string) => {
    flash(req, message);
    res.redirect(303, `/pupils/${uuidParam(req, 'id', 'pupil')}`);
  };

  router.post('/pupils/:id/leave', async (req, res) => {
    const parsed = parseForm(schemas.leaveForm, req.body);
    if (!parsed.ok) return profileWithErrors(req, res, parsed.errors, req.body);
    const result = await service.setLeaving(
      db,
      actorOf(req),
      uuidParam(req, 'id', 'pupil'),
      { leaving_date: parsed.data.leaving_date!, leaving_reason: parsed.data.leaving_reason! },
      parsed.data.version,
    );
    // R5: the page shows the record as it is now; the form keeps what was typed, with the new version.
    if (!result.ok)
      return profileWithErrors(
        req,
        res,
        {
          leaving_date:
            'Someone else changed this pupil after you opened the page, so nothing was saved. Check the record, then mark them as left again.',
        },
        req.body,
        409,
      );
    backToProfile(req, res, 'Marked as left. They no longer appear in lists unless you choose “Left”.');
  });

  router.post('/pupils/:id/return', async (req, res) => {
    const parsed = parseForm(schemas.returnForm, req.body);
    if (!parsed.ok) return profileWithErrors(req, res, parsed.errors, req.body);
    const result = await service.setLeaving(db, actorOf(req), uuidParam(req, 'id', 'pupil'), null, parsed.data.version);
    if (!result.ok) {
      flash(
        req,
        'Someone else changed this pupil after you opened the page, so nothing was saved. Check the record and try again.',
        'info',
      );
      return res.redirect(303, `/pupils/${uuidParam(req, 'id', 'pupil')}`);
    }
    backToProfile(req, res, 'Returned to the roll.');
  });

  // Contacts --------------------------------------------------------------------------------------
  router.post('/pupils/:id/contacts', async (req, res) => {
    const parsed = parseForm(schemas.contactForm, req.body);
    if (!parsed.ok) return profileWithErrors(req, res, parsed.errors, { contact: req.body });
    const { version: _v, submissionKey, ...contact } = parsed.data;
    await details.addContact(db, actorOf(req), uuidParam(req, 'id', 'pupil'), contact, submissionKey);
    backToProfile(req, res, 'Contact added.');
  });

  const contactPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const profile = await service.getProfile(db, actorOf(req), uuidParam(req, 'id', 'pupil'));
    if (!profile.canEdit) throw new PolicyDenied('pupil.update');
    const contact = profile.contacts.find((c: { id: string }) => c.id === req.params.cid);
    if (!contact) throw new NotFound('contact');
    res.locals.ctx.pupilData = true;
    renderer.render(
      req,
      res,
      'pupils/contact-edit',
      { title: 'Change a contact', pupil: profile.pupil, contact, values: contact, errors: {}, ...extra },
      { status },
    );
  };

  router.get('/pupils/:id/contacts/:cid/edit', (req, res) => contactPage(req, res));

  /** R5: the form keeps what was typed, shows both versions, and carries the current version. */
  const contactConflict = async (req: Request, res: Response) => {
    const profile = await service.getProfile(db, actorOf(req), uuidParam(req, 'id', 'pupil'));
    const current = profile.contacts.find((c: { id: string }) => c.id === req.params.cid) as
      Record<string, unknown> | undefined;
    if (!current) throw new NotFound('contact');
    const yours = req.body as Record<string, string>;
    const labels: Record<string, string> = {
      name: 'Name',
      relationship: 'Relationship',
      phone: 'Phone',
      email: 'Email',
      address: 'Address',
      priority: 'Priority',
    };
    const conflict = Object.entries(labels)
      .filter(([f]) => String(yours[f] ?? '').trim() !== String(current[f] ?? ''))
      .map(([f, label]) => ({ label, yours: yours[f], current: current[f] === null ? '' : String(current[f]) }));
    return contactPage(req, res, { values: yours, conflict }, 409);
  };

  router.post('/pupils/:id/contacts/:cid', async (req, res) => {
    const parsed = parseForm(schemas.contactForm, req.body);
    if (!parsed.ok || !parsed.data.version)
      return contactPage(
        req,
        res,
        { errors: parsed.ok ? { form: 'The form is out of date. Reload the page.' } : parsed.errors, values: req.body },
        422,
      );
    const { version, submissionKey: _k, ...contact } = parsed.data;
    try {
      await details.updateContact(
        db,
        actorOf(req),
        uuidParam(req, 'id', 'pupil'),
        uuidParam(req, 'cid', 'contact'),
        contact,
        version,
      );
    } catch (err) {
      if (err instanceof Conflict) return contactConflict(req, res);
      throw err;
    }
    backToProfile(req, res, 'Contact saved.');
  });

  router.post('/pupils/:id/contacts/:cid/remove', async (req, res) => {
    await details.removeContact(db, actorOf(req), uuidParam(req, 'id', 'pupil'), uuidParam(req, 'cid', 'contact'));
    backToProfile(req, res, 'Contact removed.');
  });

  // Free school meals -------------------------------------------------------------------------------
  router.post('/pupils/:id/fsm', async (req, res) => {
    const parsed = parseForm(schemas.fsmForm, req.body);
    if (!parsed.ok) return profileWithErrors(req, res, parsed.errors, { fsm: req.body });
    await details.addFsmPeriod(
      db,
      actorOf(req),
      uuidParam(req, 'id', 'pupil'),
      { start_date: parsed.data.start_date!, end_date: parsed.data.end_date },
      parsed.data.submissionKey,
    );
    backToProfile(req, res, 'Free school meal period added.');
  });

  router.post('/pupils/:id/fsm/:fid/end', async (req, res) => {
    const parsed = parseForm(schemas.endDateForm, req.body);
    if (!parsed.ok)
      return profileWithErrors(
        req,
        res,
        { [`fsm_end_${req.params.fid}`]: parsed.errors.end_date ?? 'Enter the end date' },
        {},
      );
    await details.endFsmPeriod(
      db,
      actorOf(req),
      uuidParam(req, 'id', 'pupil'),
      uuidParam(req, 'fid', 'FSM period'),
      parsed.data.end_date!,
    );
    backToProfile(req, res, 'Free school meal period ended.');
  });

  router.post('/pupils/:id/fsm/:fid/remove', async (req, res) => {
    await details.removeFsmPeriod(db, actorOf(req), uuidParam(req, 'id', 'pupil'), uuidParam(req, 'fid', 'FSM period'));
    backToProfile(req, res, 'Free school meal period removed.');
  });

  // Support flags on a pupil -------------------------------------------------------------------------
  router.post('/pupils/:id/flags', async (req, res) => {
    const parsed = parseForm(schemas.pupilFlagForm, req.body);
    if (!parsed.ok) return profileWithErrors(req, res, parsed.errors, { flag: req.body });
    await details.addFlag(
      db,
      actorOf(req),
      uuidParam(req, 'id', 'pupil'),
      parsed.data.flag_id,
      parsed.data.start_date!,
      parsed.data.end_date,
      parsed.data.submissionKey,
    );
    backToProfile(req, res, 'Support flag added.');
  });

  router.post('/pupils/:id/flags/:pfid/end', async (req, res) => {
    const parsed = parseForm(schemas.endDateForm, req.body);
    if (!parsed.ok)
      return profileWithErrors(
        req,
        res,
        { [`flag_end_${req.params.pfid}`]: parsed.errors.end_date ?? 'Enter the end date' },
        {},
      );
    await details.endFlag(
      db,
      actorOf(req),
      uuidParam(req, 'id', 'pupil'),
      uuidParam(req, 'pfid', 'support flag'),
      parsed.data.end_date!,
    );
    backToProfile(req, res, 'Support flag ended.');
  });

  // The school's support flags ------------------------------------------------------------------------
  const flagsPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const flags = await details.listSupportFlags(db, actorOf(req));
    renderer.render(
      req,
      res,
      'pupils/support-flags',
      { title: 'Support flags', flags, errors: {}, values: {}, ...extra },
      { status },
    );
  };

  router.get('/support-flags', (req, res) => flagsPage(req, res));

  router.post('/support-flags', async (req, res) => {
    const parsed = parseForm(schemas.supportFlagForm, req.body);
    if (!parsed.ok) return flagsPage(req, res, { errors: parsed.errors, values: req.body }, 422);
    try {
      await details.createSupportFlag(db, actorOf(req), parsed.data.name, parsed.data.description);
    } catch (err) {
      if (err instanceof details.DuplicateFlag)
        return flagsPage(req, res, { errors: { name: err.message }, values: req.body }, 422);
      throw err;
    }
    flash(req, `Support flag “${parsed.data.name}” created.`);
    res.redirect(303, '/support-flags');
  });

  router.post('/support-flags/:id/archive', async (req, res) => {
    await details.archiveSupportFlag(db, actorOf(req), uuidParam(req, 'id', 'support flag'));
    flash(req, 'Support flag archived. Pupils keep their history.');
    res.redirect(303, '/support-flags');
  });

  return router;
}
