import { type Request, type Response, Router } from 'express';
import type { AppDeps } from '../../http/deps.js';
import { flash } from '../../http/flash.js';
import { newSubmissionKey, parseForm, uuidParam } from '../../http/forms.js';
import { actorOf, requireSignIn } from '../../http/guards.js';
import { BadRequest } from '../../errors.js';
import { requestAdminChange } from './admin-requests.js';
import * as orgService from './org-service.js';
import * as schemas from './schemas.js';

/** The operator's pages: create trusts, local authorities and schools, and invite their admins. */
export function operatorRoutes(deps: AppDeps): Router {
  const router = Router();
  const { renderer, db } = deps;
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

  router.post('/operator/organisations', async (req, res) => {
    const parsed = parseForm(schemas.newOrganisationForm, req.body);
    if (!parsed.ok)
      return newPage(
        req,
        res,
        { errors: parsed.errors, values: req.body, submissionKey: req.body?.submissionKey },
        422,
      );
    try {
      const id = await orgService.createOrganisation(db, actorOf(req), parsed.data, deps.organisationCreatedHooks);
      flash(req, `${parsed.data.name} has been added. Now invite its first admin.`);
      res.redirect(303, id ? `/operator/organisations/${id}` : '/operator');
    } catch (err) {
      if (err instanceof BadRequest)
        return newPage(req, res, { errors: { trust_id: err.publicMessage }, values: req.body }, 422);
      throw err;
    }
  });

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

  router.post('/operator/organisations/:id/admins', async (req, res) => {
    const parsed = parseForm(schemas.inviteAdminForm, req.body);
    if (!parsed.ok)
      return orgPage(
        req,
        res,
        { errors: parsed.errors, values: req.body, submissionKey: req.body?.submissionKey },
        422,
      );
    const result = await orgService.inviteOrganisationAdmin(orgDeps, actorOf(req), orgId(req), parsed.data);
    if (result)
      flash(
        req,
        result.emailed
          ? `Invitation sent to ${parsed.data.email}.`
          : `The invitation to ${parsed.data.email} was saved, but the email could not be sent.`,
        result.emailed ? 'success' : 'info',
      );
    res.redirect(303, `/operator/organisations/${orgId(req)}`);
  });

  // P1: with an active admin, the operator can only ask; that admin decides.
  router.post('/operator/organisations/:id/admin-requests', async (req, res) => {
    const parsed = parseForm(schemas.adminRequestForm, req.body);
    if (!parsed.ok)
      return orgPage(
        req,
        res,
        { errors: parsed.errors, values: req.body, submissionKey: req.body?.submissionKey },
        422,
      );
    const told = await requestAdminChange(orgDeps, actorOf(req), orgId(req), parsed.data);
    flash(
      req,
      told
        ? 'Request sent. The organisation’s admins have been emailed and will approve or refuse it.'
        : 'Request saved, but the admins could not all be emailed.',
      told ? 'success' : 'info',
    );
    res.redirect(303, `/operator/organisations/${orgId(req)}`);
  });

  return router;
}
