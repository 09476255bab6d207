import { type Request, type Response, Router } from 'express';
import type { AppDeps } from '../../http/deps.js';
import { requestMeta } from '../../http/current-actor.js';
import { flash } from '../../http/flash.js';
import { FieldError, formPost } from '../../http/form-page.js';
import { parseForm } from '../../http/forms.js';
import { sessionCookieName } from '../../http/session.js';
import { actorOf, requireSignIn, safeNext } from '../../http/guards.js';
import { HttpError } from '../../errors.js';
import * as audit from '../audit/index.js';
import { changePassword, inspectResetLink, requestPasswordReset, resetPassword, signIn } from './auth-service.js';
import type { InvitationDeps } from './invitation-flow.js';
import { invitationRoutes } from './invitation-routes.js';
import { invitationsForEmail } from './invitations.js';
import { passwordRules } from './passwords.js';
import * as schemas from './schemas.js';
import { recordContextChosen, recordSignOut, signOutEverywhere, type WorkContext } from './session-service.js';
import { withoutPupilData } from '../../http/render.js';

function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
}

function destroy(req: Request): Promise<void> {
  return new Promise((resolve) => req.session.destroy(() => resolve()));
}

/** Sign-in, sign-out, choosing a school, password reset, invitations, and the user's own account. */
export function authRoutes(deps: AppDeps): Router {
  const router = Router();
  const renderer = withoutPupilData(deps.renderer);
  const authDeps: InvitationDeps = {
    db: deps.db,
    hasher: deps.hasher,
    mailer: deps.mailer,
    secret: deps.sessionSecret,
    publicOrigin: deps.config.publicOrigin,
    staffGroups: deps.staffGroups,
  };

  const signInPage = (req: Request, res: Response, data: Record<string, unknown> = {}, status = 200) =>
    renderer.render(
      req,
      res,
      'tenancy/sign-in',
      {
        title: 'Sign in',
        errors: {},
        values: {},
        next: safeNext(req.query.next),
        expired: req.query.expired === '1',
        ...data,
      },
      { status },
    );

  router.get('/sign-in', (req, res) => {
    if (req.actor) return res.redirect(303, '/');
    signInPage(req, res);
  });

  // Not a formPost: it echoes only the email (never the password) and answers 401/429 by itself (throttle, AU2).
  router.post('/sign-in', async (req, res) => {
    const parsed = parseForm(schemas.signInForm, req.body);
    const values = { email: typeof req.body?.email === 'string' ? req.body.email : '' };
    const next = safeNext(req.body?.next);
    if (!parsed.ok) return signInPage(req, res, { errors: parsed.errors, values, next }, 422);
    const result = await signIn(authDeps, parsed.data.email, parsed.data.password, requestMeta(req));
    if (!result.ok) {
      const message =
        result.reason === 'throttled'
          ? 'There have been too many failed attempts to sign in to this account. Wait 5 minutes and try again, or reset your password.'
          : 'Enter a correct email address and password.';
      return signInPage(
        req,
        res,
        { errors: { email: message }, values, next },
        result.reason === 'throttled' ? 429 : 401,
      );
    }
    // S1: a new session id at sign-in; the anonymous one stops working. An invitation link
    // opened before signing in is kept, so the person can accept it next.
    const invitation = req.session.linkToken?.purpose === 'invitation' ? req.session.linkToken : undefined;
    await regenerate(req);
    const now = Date.now();
    req.session.auth = { userId: result.userId, context: null, signedInAt: now, lastSeenAt: now };
    if (invitation) req.session.linkToken = invitation;
    res.redirect(303, next);
  });

  router.post('/sign-out', async (req, res) => {
    if (req.actor) await recordSignOut(deps.db, req.actor);
    await destroy(req);
    res.clearCookie(sessionCookieName(deps.config.production), { path: '/' });
    // B3: the browser drops anything it kept from the session.
    res.setHeader('Clear-Site-Data', '"cache", "cookies", "storage"');
    res.redirect(303, '/signed-out');
  });

  router.get('/signed-out', (req, res) => {
    if (req.actor) return res.redirect(303, '/');
    renderer.render(req, res, 'tenancy/signed-out', { title: 'You have signed out' });
  });

  router.get('/choose', (req, res) => {
    if (!req.actor) return res.redirect(303, '/sign-in');
    const contexts = (res.locals.contexts ?? []) as WorkContext[];
    renderer.render(req, res, 'tenancy/choose', { title: 'Choose where you are working', contexts, errors: {} });
  });

  router.post(
    '/choose',
    (req, _res, next) => next(req.actor && req.session.auth ? undefined : new HttpError(401, 'Please sign in.')),
    formPost({
      schema: schemas.chooseForm,
      page: (req, res, state, status) =>
        renderer.render(
          req,
          res,
          'tenancy/choose',
          { title: 'Choose where you are working', contexts: res.locals.contexts ?? [], errors: state.errors },
          { status },
        ),
      save: async (req, res, data) => {
        const chosen = ((res.locals.contexts ?? []) as WorkContext[]).find((c) => c.id === data.context);
        if (!chosen) throw new FieldError('context', 'Choose where you are working');
        req.session.auth!.context = chosen.id;
        await recordContextChosen(deps.db, req.actor!, chosen);
        res.redirect(303, '/');
      },
    }),
  );

  // Password reset -------------------------------------------------------------------------
  router.get('/forgot-password', (req, res) => {
    renderer.render(req, res, 'tenancy/forgot-password', { title: 'Reset your password', errors: {}, values: {} });
  });

  router.post(
    '/forgot-password',
    formPost({
      schema: schemas.forgotForm,
      page: (req, res, state, status) =>
        renderer.render(
          req,
          res,
          'tenancy/forgot-password',
          { title: 'Reset your password', errors: state.errors, values: state.values },
          { status },
        ),
      save: async (req, res, data) => {
        await requestPasswordReset(authDeps, data.email, requestMeta(req));
        // AU5: the same page whether or not the email has an account.
        renderer.render(req, res, 'tenancy/check-email', { title: 'Check your email', email: data.email });
      },
    }),
  );

  // Link tokens leave the address bar (and any Referer) at once: they move into the session.
  const takeLink = (purpose: 'invitation' | 'password_reset', target: string) => (req: Request, res: Response) => {
    req.session.linkToken = { purpose, token: String(req.params.token ?? '') };
    res.redirect(303, target);
  };
  router.get('/reset-password/:token', takeLink('password_reset', '/reset-password'));
  router.get('/invitations/:token', takeLink('invitation', '/invitation'));

  const resetPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const link = req.session.linkToken;
    const account =
      link?.purpose === 'password_reset' ? await inspectResetLink(authDeps, link.token, requestMeta(req)) : null;
    if (!account)
      return renderer.render(
        req,
        res,
        'tenancy/link-expired',
        { title: 'This link has expired', purpose: 'password_reset' },
        { status: 410 },
      );
    renderer.render(
      req,
      res,
      'tenancy/set-password',
      {
        title: 'Choose a new password',
        purpose: 'password_reset',
        email: account.email,
        errors: {},
        values: {},
        rules: passwordRules,
        ...extra,
      },
      { status },
    );
  };

  router.get('/reset-password', (req, res) => resetPage(req, res));
  router.post(
    '/reset-password',
    // Without a reset link in the session there is no form: the link-expired page.
    (req, res, next) => (req.session.linkToken?.purpose === 'password_reset' ? next() : resetPage(req, res)),
    formPost({
      schema: schemas.setPasswordForm,
      page: (req, res, state, status) => resetPage(req, res, { errors: state.errors }, status),
      save: async (req, res, data) => {
        const result = await resetPassword(authDeps, req.session.linkToken!.token, data.password, requestMeta(req));
        if (!result.ok) {
          if (result.expired) return resetPage(req, res);
          throw new FieldError('password', result.message);
        }
        delete req.session.linkToken;
        flash(req, 'Your password has been changed. Sign in with your new password.');
        res.redirect(303, '/sign-in');
      },
    }),
  );

  router.use(invitationRoutes(deps, authDeps));

  // The user's own account --------------------------------------------------------------------
  const accountPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const activity = await audit.ownSignInActivity(deps.db, actorOf(req));
    const email = (res.locals.ctx as { user?: { email: string } }).user?.email;
    const invitations = email ? await invitationsForEmail(deps.db, email, requestMeta(req)) : [];
    renderer.render(
      req,
      res,
      'tenancy/account',
      { title: 'Your account', errors: {}, activity, invitations, rules: passwordRules, ...extra },
      { status },
    );
  };

  router.get('/account', requireSignIn, (req, res) => accountPage(req, res));

  router.post(
    '/account/password',
    requireSignIn,
    formPost({
      schema: schemas.changePasswordForm,
      // Passwords are never put back in the form.
      page: (req, res, state, status) => accountPage(req, res, { errors: state.errors }, status),
      save: async (req, res, data) => {
        const result = await changePassword(
          authDeps,
          actorOf(req),
          data.currentPassword,
          data.newPassword,
          req.sessionID,
        );
        if (!result.ok) throw new FieldError(result.field, result.message);
        flash(req, 'Your password has been changed. Any other devices have been signed out.');
        res.redirect(303, '/account');
      },
    }),
  );

  router.post('/account/sign-out-everywhere', requireSignIn, async (req, res) => {
    const ended = await signOutEverywhere(deps.db, actorOf(req), req.sessionID);
    flash(
      req,
      ended === 1
        ? 'You have been signed out of 1 other device.'
        : `You have been signed out of ${ended} other devices.`,
    );
    res.redirect(303, '/account');
  });

  return router;
}
