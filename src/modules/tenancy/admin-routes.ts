import { type Request, type Response, Router } from 'express';
import type { AppDeps } from '../../http/deps.js';
import { flash } from '../../http/flash.js';
import { type FieldErrors, newSubmissionKey, parseForm, uuidParam } from '../../http/forms.js';
import { actorOf, requireSignIn } from '../../http/guards.js';
import { Conflict } from '../../errors.js';
import { can, roleLabels, schoolRoles } from '../../policy/index.js';
import { decideAdminRequest, pendingAdminRequests } from './admin-requests.js';
import * as schemas from './schemas.js';
import { getSettings, updateSettings } from './settings-service.js';
import * as staffService from './staff-service.js';

const idParam = (req: Request) => uuidParam(req, 'id', 'staff member');

/** A school admin's pages: staff (invite, roles, groups, disable) and school settings. */
export function adminRoutes(deps: AppDeps): Router {
  const router = Router();
  const { renderer, db } = deps;
  const staffDeps = { db, mailer: deps.mailer, publicOrigin: deps.config.publicOrigin, staffGroups: deps.staffGroups };
  router.use(['/staff', '/settings'], requireSignIn);

  const roleOptions = schoolRoles.map((r) => ({ value: r, label: roleLabels[r] }));

  router.get('/staff', async (req, res) => {
    const actor = actorOf(req);
    const canManage = can(actor, 'staff.manage');
    const staff = await staffService.listStaff(staffDeps, actor);
    const invitations = await staffService.listInvitations(db, actor);
    const adminRequests = canManage ? await pendingAdminRequests(db, actor) : [];
    renderer.render(req, res, 'tenancy/staff-list', {
      title: 'Staff',
      staff,
      invitations,
      adminRequests,
      roleLabels,
      canManage,
    });
  });

  const invitePage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const groups = await staffService.groupOptions(staffDeps, actorOf(req), 'staff.manage');
    renderer.render(
      req,
      res,
      'tenancy/staff-invite',
      {
        title: 'Invite a member of staff',
        errors: {},
        values: { roles: [], groupIds: [] },
        roleOptions,
        groups,
        submissionKey: newSubmissionKey(),
        ...extra,
      },
      { status },
    );
  };

  router.get('/staff/invite', (req, res) => invitePage(req, res));

  router.post('/staff/invite', async (req, res) => {
    const parsed = parseForm(schemas.inviteStaffForm, req.body);
    const values = { ...req.body, roles: [req.body?.roles ?? []].flat(), groupIds: [req.body?.groupIds ?? []].flat() };
    if (!parsed.ok)
      return invitePage(req, res, { errors: parsed.errors, values, submissionKey: req.body?.submissionKey }, 422);
    const result = await staffService.inviteStaff(staffDeps, actorOf(req), parsed.data);
    flash(
      req,
      result.emailed
        ? `Invitation sent to ${parsed.data.email}. They appear under “Invitations” until they accept it.`
        : `The invitation to ${parsed.data.email} was saved, but the email could not be sent. Use “Send again” under Invitations.`,
      result.emailed ? 'success' : 'info',
    );
    res.redirect(303, '/staff');
  });

  const memberPage = async (req: Request, res: Response, extra: { errors?: FieldErrors } = {}, status = 200) => {
    const actor = actorOf(req);
    const member = await staffService.getStaffMember(staffDeps, actor, idParam(req));
    const groups = await staffService.groupOptions(staffDeps, actor);
    renderer.render(
      req,
      res,
      'tenancy/staff-member',
      {
        title: `${member.given_name} ${member.family_name}`,
        member,
        roleOptions,
        roleLabels,
        groups,
        errors: {},
        canManage: can(actor, 'staff.manage'),
        ...extra,
      },
      { status },
    );
  };

  router.get('/staff/:id', (req, res) => memberPage(req, res));

  const lastAdmin = (req: Request, res: Response) =>
    memberPage(req, res, { errors: { roles: new staffService.LastAdminError().message } }, 409);

  router.post('/staff/:id/roles', async (req, res) => {
    const parsed = parseForm(schemas.rolesForm, req.body);
    if (!parsed.ok) return memberPage(req, res, { errors: parsed.errors }, 422);
    try {
      await staffService.setRoles(staffDeps, actorOf(req), idParam(req), parsed.data.roles);
    } catch (err) {
      if (err instanceof staffService.LastAdminError) return lastAdmin(req, res);
      throw err;
    }
    flash(req, 'Roles saved. The change applies from their next page.');
    res.redirect(303, `/staff/${idParam(req)}`);
  });

  router.post('/staff/:id/groups', async (req, res) => {
    const parsed = parseForm(schemas.groupsForm, req.body);
    if (!parsed.ok) return memberPage(req, res, { errors: parsed.errors }, 422);
    await staffService.setGroups(staffDeps, actorOf(req), idParam(req), parsed.data.groupIds);
    flash(req, 'Classes and groups saved.');
    res.redirect(303, `/staff/${idParam(req)}`);
  });

  for (const [path, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    router.post(`/staff/:id/${path}`, async (req, res) => {
      try {
        await staffService.setDisabled(staffDeps, actorOf(req), idParam(req), disabled);
      } catch (err) {
        if (err instanceof staffService.LastAdminError) return lastAdmin(req, res);
        throw err;
      }
      flash(req, disabled ? 'Access turned off. They have been signed out.' : 'Access turned back on.');
      res.redirect(303, `/staff/${idParam(req)}`);
    });
  }

  // Invitations not yet accepted, and the operator's requests to add an admin (P1) -------------
  const invitationId = (req: Request) => uuidParam(req, 'id', 'invitation');
  router.post('/staff/invitations/:id/resend', async (req, res) => {
    const sent = await staffService.resendInvitation(staffDeps, actorOf(req), invitationId(req));
    flash(
      req,
      sent
        ? 'A new invitation has been sent. The earlier link no longer works.'
        : 'No invitation was sent: it has already been answered, or the email could not be sent.',
      sent ? 'success' : 'info',
    );
    res.redirect(303, '/staff');
  });

  router.post('/staff/invitations/:id/revoke', async (req, res) => {
    await staffService.revokeInvitation(staffDeps, actorOf(req), invitationId(req));
    flash(req, 'Invitation withdrawn. Its link no longer works.');
    res.redirect(303, '/staff');
  });

  for (const [path, approve] of [
    ['approve', true],
    ['refuse', false],
  ] as const) {
    router.post(`/staff/admin-requests/:id/${path}`, async (req, res) => {
      const { emailed } = await decideAdminRequest(staffDeps, actorOf(req), uuidParam(req, 'id', 'request'), approve);
      flash(
        req,
        !approve
          ? 'Request refused. Nothing was changed.'
          : emailed
            ? 'Approved: an invitation to become a school admin has been sent. They appear under “Invitations” until they accept it.'
            : 'Approved, but the invitation email could not be sent. Use “Send again” under Invitations.',
        approve && !emailed ? 'info' : 'success',
      );
      res.redirect(303, '/staff');
    });
  }

  // Settings ------------------------------------------------------------------------------------
  const settingsPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const settings = await getSettings(db, actorOf(req));
    renderer.render(
      req,
      res,
      'tenancy/settings',
      { title: 'School settings', settings, values: settings, errors: {}, ...extra },
      { status },
    );
  };

  router.get('/settings', (req, res) => settingsPage(req, res));

  router.post('/settings', async (req, res) => {
    const parsed = parseForm(schemas.settingsForm, req.body);
    if (!parsed.ok) return settingsPage(req, res, { errors: parsed.errors, values: req.body }, 422);
    const { version, ...change } = parsed.data;
    try {
      await updateSettings(db, actorOf(req), change, version);
    } catch (err) {
      if (err instanceof Conflict) {
        return settingsPage(req, res, { conflict: { yours: change }, errors: { form: err.publicMessage } }, 409);
      }
      throw err;
    }
    flash(req, 'Settings saved.');
    res.redirect(303, '/settings');
  });

  return router;
}
