import { type Request, type Response, Router } from 'express';
import type { AppDeps } from '../../http/deps.js';
import { flash } from '../../http/flash.js';
import { z } from 'zod';
import { type FormState, formPost } from '../../http/form-page.js';
import { type FieldErrors, newSubmissionKey, uuidParam } from '../../http/forms.js';
import { actorOf, requireSignIn } from '../../http/guards.js';
import { Conflict } from '../../errors.js';
import { can, roleLabels, schoolRoles } from '../../policy/index.js';
import { decideAdminRequest, pendingAdminRequests } from './admin-requests.js';
import * as schemas from './schemas.js';
import { getSettings, updateSettings } from './settings-service.js';
import * as staffService from './staff-service.js';
import { withoutPupilData } from '../../http/render.js';

const idParam = (req: Request) => uuidParam(req, 'id', 'staff member');

/** A school admin's pages: staff (invite, roles, groups, disable) and school settings. */
export function adminRoutes(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps;
  const renderer = withoutPupilData(deps.renderer);
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

  router.post(
    '/staff/invite',
    formPost({
      schema: schemas.inviteStaffForm,
      lists: ['roles', 'groupIds'],
      page: (req, res, state, status) =>
        invitePage(
          req,
          res,
          { errors: state.errors, values: state.values, submissionKey: state.submissionKey },
          status,
        ),
      save: async (req, res, data) => {
        const result = await staffService.inviteStaff(staffDeps, actorOf(req), data);
        flash(
          req,
          result.emailed
            ? `Invitation sent to ${data.email}. They appear under “Invitations” until they accept it.`
            : `The invitation to ${data.email} was saved, but the email could not be sent. Use “Send again” under Invitations.`,
          result.emailed ? 'success' : 'info',
        );
        res.redirect(303, '/staff');
      },
    }),
  );

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

  // The forms on a staff member's page; a refusal (LastAdminError, 409) shows it again beside the roles.
  const onMemberPage = (req: Request, res: Response, state: FormState, status: number) =>
    memberPage(req, res, { errors: state.errors }, status);

  router.post(
    '/staff/:id/roles',
    formPost({
      schema: schemas.rolesForm,
      page: onMemberPage,
      save: async (req, res, data) => {
        await staffService.setRoles(staffDeps, actorOf(req), idParam(req), data.roles);
        flash(req, 'Roles saved. The change applies from their next page.');
        res.redirect(303, `/staff/${idParam(req)}`);
      },
    }),
  );

  router.post(
    '/staff/:id/groups',
    formPost({
      schema: schemas.groupsForm,
      page: onMemberPage,
      save: async (req, res, data) => {
        await staffService.setGroups(staffDeps, actorOf(req), idParam(req), data.groupIds);
        flash(req, 'Classes and groups saved.');
        res.redirect(303, `/staff/${idParam(req)}`);
      },
    }),
  );

  for (const [path, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    router.post(
      `/staff/:id/${path}`,
      formPost({
        schema: z.object({}), // a button: nothing to check, but turning off the last admin is refused by the roles
        page: onMemberPage,
        save: async (req, res) => {
          await staffService.setDisabled(staffDeps, actorOf(req), idParam(req), disabled);
          flash(req, disabled ? 'Access turned off. They have been signed out.' : 'Access turned back on.');
          res.redirect(303, `/staff/${idParam(req)}`);
        },
      }),
    );
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

  router.post(
    '/settings',
    formPost({
      schema: schemas.settingsForm,
      page: (req, res, state, status) => settingsPage(req, res, { errors: state.errors, values: state.values }, status),
      save: async (req, res, { version, ...change }) => {
        // The settings page asks before sharing is turned off (a trust or LA loses access at once).
        if (req.body.confirm_stop_sharing === 'ask') {
          const current = await getSettings(db, actorOf(req));
          const stopping = [
            ...(current.share_with_trust && !change.share_with_trust && current.trust_name
              ? [{ name: current.trust_name, kind: 'trust' }]
              : []),
            ...(current.share_with_la && !change.share_with_la && current.la_name
              ? [{ name: current.la_name, kind: 'local authority' }]
              : []),
          ];
          if (stopping.length) {
            const fields = Object.entries(req.body as Record<string, unknown>).filter(
              (e): e is [string, string] =>
                typeof e[1] === 'string' && e[0] !== '_csrf' && e[0] !== 'confirm_stop_sharing',
            );
            const title = `Stop sharing pupil data with ${stopping.map((s) => s.name).join(' and ')}?`;
            return renderer.render(req, res, 'tenancy/settings-confirm', { title, stopping, fields });
          }
        }
        try {
          await updateSettings(db, actorOf(req), change, version);
        } catch (err) {
          // R5: the current settings in the form, what they typed beside them.
          if (err instanceof Conflict)
            return settingsPage(req, res, { conflict: { yours: change }, errors: { form: err.publicMessage } }, 409);
          throw err;
        }
        flash(req, 'Settings saved.');
        res.redirect(303, '/settings');
      },
    }),
  );

  return router;
}
