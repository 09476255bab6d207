import { type Request, type Response, Router } from 'express';
import type { AppDeps } from '../../http/deps.js';
import { requestMeta } from '../../http/current-actor.js';
import { flash } from '../../http/flash.js';
import { FieldError, formPost } from '../../http/form-page.js';
import { uuidParam } from '../../http/forms.js';
import { actorOf } from '../../http/guards.js';
import { HttpError, NotFound } from '../../errors.js';
import { roleLabels } from '../../policy/index.js';
import {
  acceptSignedIn,
  acceptWithNewAccount,
  answerInvitationById,
  declineByToken,
  type InvitationDeps,
  viewInvitation,
} from './invitation-flow.js';
import { passwordRules } from './passwords.js';
import * as schemas from './schemas.js';
import { withoutPupilData } from '../../http/render.js';

/**
 * The invitation pages: the link holder's (after `/invitations/:token` moved the token into the
 * session, auth-routes.ts) and the answers from the person's own account page.
 */
export function invitationRoutes(deps: AppDeps, authDeps: InvitationDeps): Router {
  const router = Router();
  const renderer = withoutPupilData(deps.renderer);

  // Invitations: what the link holder sees depends on whether the email has an account (invitation-flow.ts).
  const invitationPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const link = req.session.linkToken;
    const view =
      link?.purpose === 'invitation'
        ? await viewInvitation(
            authDeps,
            link.token,
            req.actor && req.actor.kind !== 'system' ? req.actor.userId : null,
            requestMeta(req),
          )
        : { kind: 'expired' as const };
    if (view.kind === 'expired')
      return renderer.render(
        req,
        res,
        'tenancy/link-expired',
        { title: 'This link has expired', purpose: 'invitation' },
        { status: 410 },
      );
    const { invitation } = view;
    if (view.kind === 'new-account') {
      return renderer.render(
        req,
        res,
        'tenancy/set-password',
        {
          title: 'Set up your account',
          purpose: 'invitation',
          email: invitation.email,
          invitation,
          errors: {},
          values: { title: invitation.title, given_name: invitation.given_name, family_name: invitation.family_name },
          rules: passwordRules,
          ...extra,
        },
        { status },
      );
    }
    renderer.render(
      req,
      res,
      'tenancy/invitation',
      { title: `Your invitation to ${invitation.org_name}`, view: view.kind, invitation, roleLabels, ...extra },
      { status },
    );
  };

  router.get('/invitation', (req, res) => invitationPage(req, res));
  router.post(
    '/invitation',
    // Without an invitation link in the session there is no form: the link-expired page.
    (req, res, next) => (req.session.linkToken?.purpose === 'invitation' ? next() : invitationPage(req, res)),
    formPost({
      schema: schemas.invitationForm,
      // The names come back as typed; the password never does.
      page: (req, res, { errors, values: { title, given_name, family_name } }, status) =>
        invitationPage(req, res, { errors, values: { title, given_name, family_name } }, status),
      save: async (req, res, { password, title, given_name, family_name }) => {
        const result = await acceptWithNewAccount(
          authDeps,
          req.session.linkToken!.token,
          password,
          { title, given_name, family_name },
          requestMeta(req),
        );
        if (!result.ok) {
          if (result.expired) return invitationPage(req, res);
          throw new FieldError('password', result.message);
        }
        // Signed in at once, with a new session id (S1), as a sign-in with the new password would be.
        await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
        const now = Date.now();
        req.session.auth = { userId: result.userId, context: null, signedInAt: now, lastSeenAt: now };
        flash(req, 'Your account is ready, and you are signed in. Welcome to Waypoint.');
        res.redirect(303, '/');
      },
    }),
  );

  // Signed in is enough to accept: someone who works in several places need not choose one first.
  const signedIn = (req: Request, _res: Response, next: (err?: unknown) => void) =>
    req.actor && req.actor.kind !== 'system'
      ? next()
      : next(new HttpError(401, 'Please sign in, then accept the invitation.'));

  router.post('/invitation/accept', signedIn, async (req, res) => {
    const link = req.session.linkToken;
    const accepted =
      link?.purpose === 'invitation' &&
      (await acceptSignedIn(authDeps, link.token, (actorOf(req) as { userId: string }).userId, requestMeta(req)));
    if (!accepted) return invitationPage(req, res);
    delete req.session.linkToken;
    flash(req, 'Invitation accepted. Choose where you are working from the top of the page.');
    res.redirect(303, '/choose');
  });

  router.post('/invitation/decline', async (req, res) => {
    const link = req.session.linkToken;
    const declined = link?.purpose === 'invitation' && (await declineByToken(authDeps, link.token, requestMeta(req)));
    if (!declined) return invitationPage(req, res);
    delete req.session.linkToken;
    flash(req, 'Invitation declined. Nothing was changed.', 'info');
    res.redirect(303, req.actor ? '/account' : '/sign-in');
  });

  // Invitations sent to this person's email, accepted from their account page too.
  for (const [path, accept] of [
    ['accept', true],
    ['decline', false],
  ] as const) {
    router.post(`/account/invitations/:id/${path}`, signedIn, async (req, res) => {
      const actor = actorOf(req);
      const done = await answerInvitationById(
        authDeps,
        uuidParam(req, 'id', 'invitation'),
        actor.kind === 'system' ? '' : actor.userId,
        accept,
        requestMeta(req),
      );
      if (!done) throw new NotFound('invitation');
      flash(
        req,
        accept ? 'Invitation accepted. Choose where you are working from the top of the page.' : 'Invitation declined.',
        accept ? 'success' : 'info',
      );
      res.redirect(303, accept ? '/choose' : '/account');
    });
  }

  return router;
}
