import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../http/deps.js';
import { flash } from '../../http/flash.js';
import {
  checkedValues,
  newSubmissionKey,
  optionalText,
  requiredText,
  submissionKey,
  uuid,
  uuidParam,
  version,
} from '../../http/forms.js';
import { FieldError, formPost } from '../../http/form-page.js';
import { actorOf, requireSignIn } from '../../http/guards.js';
import { parseQuery, queryChoice, queryUuid } from '../../http/query.js';
import { date } from '../../lib/form-fields.js';
import { yearGroupLabel } from '../../lib/year-groups.js';
import { emptyAsUndefined as blank } from '../../lib/text.js';
import { can } from '../../policy/index.js';
import { schoolDashboard, vulnerableGroups } from './dashboard-service.js';
import { stackedBar } from './charts.js';
import { termLabel } from './frameworks-service.js';
import * as interventions from './interventions-service.js';

const interventionForm = z
  .object({
    name: requiredText('a name', 100),
    type: requiredText('the type, for example Small-group reading or ELSA', 100),
    lead_user_id: z.preprocess(blank, uuid.optional()).transform((v) => v ?? null),
    start_date: date('the start date', true),
    end_date: date('the end date'),
    frequency: optionalText('how often', 100),
    status: z.enum(interventions.statuses, { error: 'Choose a status' }),
    target_item_ids: checkedValues(uuid),
    version: version.optional(),
    submissionKey,
  })
  .refine((v) => !v.end_date || !v.start_date || v.end_date >= v.start_date, {
    path: ['end_date'],
    message: 'The end date must be on or after the start date',
  })
  .refine((v) => v.status !== 'ended' || !!v.end_date, {
    path: ['end_date'],
    message: 'An ended intervention needs an end date',
  });

/** The dashboard's choices (I4): a bad one is a 400 naming it, not silently ignored. */
const dashboardQuery = z.object({
  term: queryUuid('term'),
  from: queryUuid('term to show progress from'),
  to: queryUuid('term to show progress to'),
  group: queryChoice(
    'group to compare',
    vulnerableGroups.map((g) => g.key),
  ),
  attainment: queryUuid('attainment framework'),
});

const statusLabels = { planned: 'Planned', running: 'Running', ended: 'Ended', discontinued: 'Discontinued' };

/** Interventions (provision list, impact) and the school dashboard. */
export function analysisRoutes(deps: AppDeps): Router {
  const router = Router();
  const { renderer, db } = deps;
  router.use(['/interventions', '/dashboard'], requireSignIn);

  router.get('/interventions', async (req, res) => {
    const { status } = parseQuery(z.object({ status: queryChoice('status', interventions.statuses) }), req.query);
    const data = await interventions.provision(db, actorOf(req), status);
    renderer.render(req, res, 'assessments/interventions', {
      title: 'Interventions',
      ...data,
      status,
      statusLabels,
      statuses: interventions.statuses,
      canProvisionMap: can(actorOf(req), 'provision.export'),
    });
  });

  const formPage = async (req: Request, res: Response, data: Record<string, unknown>, status = 200) => {
    const options = await interventions.formOptions(db, actorOf(req));
    renderer.render(
      req,
      res,
      'assessments/intervention-form',
      { errors: {}, statusLabels, statuses: interventions.statuses, ...options, ...data },
      { status },
    );
  };

  router.get('/interventions/new', (req, res) =>
    formPage(req, res, {
      title: 'Start an intervention',
      values: { status: 'planned', target_item_ids: [] },
      action: '/interventions',
      submissionKey: newSubmissionKey(),
    }),
  );

  router.post(
    '/interventions',
    formPost({
      schema: interventionForm,
      lists: ['target_item_ids'],
      page: (req, res, { errors, values, submissionKey }, status) =>
        formPage(
          req,
          res,
          { title: 'Start an intervention', values, action: '/interventions', submissionKey, errors },
          status,
        ),
      save: async (req, res, data) => {
        const { version: _v, submissionKey: key, ...input } = data;
        const created = await interventions.createIntervention(
          db,
          actorOf(req),
          { ...input, start_date: input.start_date! },
          key,
        );
        flash(req, 'Intervention created. Now add its pupils to its group.');
        res.redirect(303, created ? `/groups/${created.groupId}?add=1` : '/interventions');
      },
    }),
  );

  router.get('/interventions/:id', async (req, res) => {
    const data = await interventions.impact(db, actorOf(req), uuidParam(req, 'id', 'intervention'));
    renderer.render(req, res, 'assessments/intervention', {
      title: data.intervention.name,
      ...data,
      statusLabels,
      yearGroupLabel,
    });
  });

  const editPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const id = uuidParam(req, 'id', 'intervention');
    const { intervention: found, targets } = await interventions.getForEdit(db, actorOf(req), id);
    await formPage(
      req,
      res,
      {
        title: `Change ${found.name}`,
        action: `/interventions/${id}`,
        version: found.version,
        interventionId: id,
        values: {
          ...found,
          start_date: found.start_date.split('-').reverse().join('/'),
          end_date: found.end_date ? found.end_date.split('-').reverse().join('/') : '',
          target_item_ids: targets,
        },
        ...extra,
      },
      status,
    );
  };

  router.get('/interventions/:id/edit', (req, res) => editPage(req, res));

  router.post(
    '/interventions/:id',
    formPost({
      schema: interventionForm,
      lists: ['target_item_ids'],
      conflictField: 'name',
      page: (req, res, { errors, values }, status) => editPage(req, res, { errors, values }, status),
      save: async (req, res, data) => {
        const id = uuidParam(req, 'id', 'intervention');
        const { version: ver, submissionKey: _k, ...input } = data;
        if (!ver) throw new FieldError('name', 'The form is out of date. Reload the page.');
        await interventions.updateIntervention(db, actorOf(req), id, { ...input, start_date: input.start_date! }, ver);
        flash(req, 'Intervention saved.');
        res.redirect(303, `/interventions/${id}`);
      },
    }),
  );

  router.get('/dashboard', async (req, res) => {
    const q = parseQuery(dashboardQuery, req.query);
    const data = await schoolDashboard(db, actorOf(req), {
      termId: q.term,
      fromTermId: q.from,
      toTermId: q.to,
      group: q.group,
      attainmentId: q.attainment,
    });
    renderer.render(req, res, 'assessments/dashboard', {
      title: 'School dashboard',
      ...data,
      termLabel,
      vulnerableGroups,
      stackedBar,
    });
  });

  return router;
}
