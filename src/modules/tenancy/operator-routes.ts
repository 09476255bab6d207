import { type Request, type Response, Router } from 'express';
import type { AppDeps } from '../../http/deps.js';
import { flash } from '../../http/flash.js';
import { type FormState, formPost } from '../../http/form-page.js';
import { newSubmissionKey, uuidParam } from '../../http/forms.js';
import { actorOf, requireSignIn } from '../../http/guards.js';
import { requestAdminChange } from './admin-requests.js';
import * as orgService from './org-service.js';
import * as schemas from './schemas.js';
import { withoutPupilData } from '../../http/render.js';

/** The operator's pages: create trusts, local authorities and schools, and invite their admins. */
export function operatorRoutes(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps;
  const renderer = withoutPupilData(deps.renderer);
  const orgDeps = { db, mailer: deps.mailer, publicOrigin: deps.config.publicOrigin };
  router.use('/operator', requireSignIn);

  const orgId = (req: Request) => uuidParam(req, 'id', 'organisation');

  router.get('/operator', async (req, res) => {
    const organisations = await orgService.listOrganisations(db, actorOf(req));
    renderer.render(req, res, 'tenancy/operator-orgs', {
      title: 'Organisations',
      organisations,
      kindLabels: schemas.orgKindLabels,
    });
  });

  const newPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const organisations = await orgService.listOrganisations(db, actorOf(req));
    renderer.render(
      req,
      res,
      'tenancy/operator-org-new',
      {
        title: 'Add an organisation',
        errors: {},
        values: { kind: req.query.kind ?? 'school' },
        trusts: organisations.filter((o) => o.kind === 'trust'),
        las: organisations.filter((o) => o.kind === 'local_authority'),
        kindLabels: schemas.orgKindLabels,
        phaseLabels: schemas.phaseLabels,
        submissionKey: newSubmissionKey(),
        ...extra,
      },
      { status },
    );
  };

  router.get('/operator/organisations/new', (req, res) => newPage(req, res));

  // What was typed, with its one-time key (R4), so the corrected form is still one submission.
  const again = (state: FormState) => ({
    errors: state.errors,
    values: state.values,
    submissionKey: state.submissionKey,
  });

  router.post(
    '/operator/organisations',
    formPost({
      schema: schemas.newOrganisationForm,
      page: (req, res, state, status) => newPage(req, res, again(state), status),
      save: async (req, res, data) => {
        const id = await orgService.createOrganisation(db, actorOf(req), data, deps.organisationCreatedHooks);
        flash(req, `${data.name} has been added. Now invite its first admin.`);
        res.redirect(303, id ? `/operator/organisations/${id}` : '/operator');
      },
    }),
  );

  const orgPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const org = await orgService.getOrganisation(db, actorOf(req), orgId(req));
    renderer.render(
      req,
      res,
      'tenancy/operator-org',
      {
        title: org.name,
        org,
        kindLabels: schemas.orgKindLabels,
        phaseLabels: schemas.phaseLabels,
        errors: {},
        values: {},
        submissionKey: newSubmissionKey(),
        ...extra,
      },
      { status },
    );
  };

  router.get('/operator/organisations/:id', (req, res) => orgPage(req, res));

  router.post(
    '/operator/organisations/:id/admins',
    formPost({
      schema: schemas.inviteAdminForm,
      page: (req, res, state, status) => orgPage(req, res, again(state), status),
      save: async (req, res, data) => {
        const result = await orgService.inviteOrganisationAdmin(orgDeps, actorOf(req), orgId(req), data);
        if (result)
          flash(
            req,
            result.emailed
              ? `Invitation sent to ${data.email}.`
              : `The invitation to ${data.email} was saved, but the email could not be sent.`,
            result.emailed ? 'success' : 'info',
          );
        res.redirect(303, `/operator/organisations/${orgId(req)}`);
      },
    }),
  );

  // P1: with an active admin, the operator can only ask; that admin decides.
  router.post(
    '/operator/organisations/:id/admin-requests',
    formPost({
      schema: schemas.adminRequestForm,
      page: (req, res, state, status) => orgPage(req, res, again(state), status),
      save: async (req, res, data) => {
        const told = await requestAdminChange(orgDeps, actorOf(req), orgId(req), data);
        flash(
          req,
          told
            ? 'Request sent. The organisation’s admins have been emailed and will approve or refuse it.'
            : 'Request saved, but the admins could not all be emailed.',
          told ? 'success' : 'info',
        );
        res.redirect(303, `/operator/organisations/${orgId(req)}`);
      },
    }),
  );

  return router;
}
