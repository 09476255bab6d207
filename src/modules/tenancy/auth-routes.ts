import { type Request, type Response, Router } from 'express';
import type { AppDeps } from '../../http/deps.js';
import { flash, requestMeta } from '../../http/current-actor.js';
import { parseForm } from '../../http/forms.js';
import { sessionCookieName } from '../../http/session.js';
import { actorOf, requireSignIn, safeNext } from '../../http/guards.js';
import { HttpError } from '../../errors.js';
import * as audit from '../audit/service.js';
import { type AuthDeps, changePassword, inspectLink, requestPasswordReset, setPasswordWithLink, signIn } from './auth-service.js';
import { passwordRules } from './passwords.js';
import * as schemas from './schemas.js';
import { recordSignOut, signOutEverywhere, type WorkContext } from './session-service.js';

function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
}

function destroy(req: Request): Promise<void> {
  return new Promise((resolve) => req.session.destroy(() => resolve()));
}

type LinkPurpose = 'invitation' | 'password_reset';

/** Sign-in, sign-out, choosing a school, password reset, invitations, and the user's own account. */
export function authRoutes(deps: AppDeps): Router {
  const router = Router();
  const { renderer } = deps;
  const authDeps: AuthDeps = {
    db: deps.db, hasher: deps.hasher, mailer: deps.mailer, secret: deps.sessionSecret, publicOrigin: deps.config.publicOrigin,
  };

  const signInPage = (req: Request, res: Response, data: Record<string, unknown> = {}, status = 200) =>
    renderer.render(req, res, 'tenancy/sign-in', { title: 'Sign in', errors: {}, values: {}, next: safeNext(req.query.next), expired: req.query.expired === '1', ...data }, { status });

  router.get('/sign-in', (req, res) => {
    if (req.actor) return res.redirect(303, '/');
    signInPage(req, res);
  });

  router.post('/sign-in', async (req, res) => {
    const parsed = parseForm(schemas.signInForm, req.body);
    const values = { email: typeof req.body?.email === 'string' ? req.body.email : '' };
    const next = safeNext(req.body?.next);
    if (!parsed.ok) return signInPage(req, res, { errors: parsed.errors, values, next }, 422);
    const result = await signIn(authDeps, parsed.data.email, parsed.data.password, requestMeta(req));
    if (!result.ok) {
      const message = result.reason === 'throttled'
        ? 'There have been too many failed attempts to sign in to this account. Wait 5 minutes and try again, or reset your password.'
        : 'Enter a correct email address and password.';
      return signInPage(req, res, { errors: { email: message }, values, next }, result.reason === 'throttled' ? 429 : 401);
    }
    // S1: a new session id at sign-in; the anonymous one stops working.
    await regenerate(req);
    const now = Date.now();
    req.session.auth = { userId: result.userId, context: null, signedInAt: now, lastSeenAt: now };
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

  router.post('/choose', (req, res) => {
    if (!req.actor || !req.session.auth) throw new HttpError(401, 'Please sign in.');
    const parsed = parseForm(schemas.chooseForm, req.body);
    const contexts = (res.locals.contexts ?? []) as WorkContext[];
    const chosen = parsed.ok ? contexts.find((c) => c.id === parsed.data.context) : undefined;
    if (!chosen) {
      return renderer.render(req, res, 'tenancy/choose', { title: 'Choose where you are working', contexts, errors: { context: 'Choose where you are working' } }, { status: 422 });
    }
    req.session.auth.context = chosen.id;
    res.redirect(303, '/');
  });

  // Password reset -------------------------------------------------------------------------
  router.get('/forgot-password', (req, res) => {
    renderer.render(req, res, 'tenancy/forgot-password', { title: 'Reset your password', errors: {}, values: {} });
  });

  router.post('/forgot-password', async (req, res) => {
    const parsed = parseForm(schemas.forgotForm, req.body);
    if (!parsed.ok) {
      return renderer.render(req, res, 'tenancy/forgot-password', { title: 'Reset your password', errors: parsed.errors, values: req.body ?? {} }, { status: 422 });
    }
    await requestPasswordReset(authDeps, parsed.data.email, requestMeta(req));
    // AU5: the same page whether or not the email has an account.
    renderer.render(req, res, 'tenancy/check-email', { title: 'Check your email', email: parsed.data.email });
  });

  // Link tokens leave the address bar (and any Referer) at once: they move into the session.
  const takeLink = (purpose: LinkPurpose, target: string) => (req: Request, res: Response) => {
    req.session.linkToken = { purpose, token: String(req.params.token ?? '') };
    res.redirect(303, target);
  };
  router.get('/reset-password/:token', takeLink('password_reset', '/reset-password'));
  router.get('/invitations/:token', takeLink('invitation', '/invitation'));

  const linkPage = async (req: Request, res: Response, purpose: LinkPurpose, extra: Record<string, unknown> = {}, status = 200) => {
    const link = req.session.linkToken;
    const account = link?.purpose === purpose ? await inspectLink(authDeps, link.token, purpose, requestMeta(req)) : null;
    if (!account) {
      return renderer.render(req, res, 'tenancy/link-expired', { title: 'This link has expired', purpose }, { status: 410 });
    }
    renderer.render(req, res, 'tenancy/set-password', {
      title: purpose === 'invitation' ? 'Set up your account' : 'Choose a new password',
      purpose, account, errors: {}, values: { title: account.title, given_name: account.givenName, family_name: account.familyName },
      rules: passwordRules, ...extra,
    }, { status });
  };

  const completeLink = (purpose: LinkPurpose) => async (req: Request, res: Response) => {
    const link = req.session.linkToken;
    if (!link || link.purpose !== purpose) return linkPage(req, res, purpose);
    const values = { title: req.body?.title, given_name: req.body?.given_name, family_name: req.body?.family_name };
    let password: string;
    let names: { title: string | null; given_name: string; family_name: string } | null = null;
    if (purpose === 'invitation') {
      const parsed = parseForm(schemas.invitationForm, req.body);
      if (!parsed.ok) return linkPage(req, res, purpose, { errors: parsed.errors, values }, 422);
      ({ password } = parsed.data);
      names = { title: parsed.data.title, given_name: parsed.data.given_name, family_name: parsed.data.family_name };
    } else {
      const parsed = parseForm(schemas.setPasswordForm, req.body);
      if (!parsed.ok) return linkPage(req, res, purpose, { errors: parsed.errors, values }, 422);
      ({ password } = parsed.data);
    }
    const result = await setPasswordWithLink(authDeps, link.token, purpose, password, names, requestMeta(req));
    if (!result.ok) {
      if (result.expired) return linkPage(req, res, purpose);
      return linkPage(req, res, purpose, { errors: { password: result.message }, values }, 422);
    }
    delete req.session.linkToken;
    flash(req, purpose === 'invitation' ? 'Your account is ready. Sign in with your email and new password.' : 'Your password has been changed. Sign in with your new password.');
    res.redirect(303, '/sign-in');
  };

  router.get('/reset-password', (req, res) => linkPage(req, res, 'password_reset'));
  router.post('/reset-password', completeLink('password_reset'));
  router.get('/invitation', (req, res) => linkPage(req, res, 'invitation'));
  router.post('/invitation', completeLink('invitation'));

  // The user's own account --------------------------------------------------------------------
  const accountPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const activity = await audit.ownSignInActivity(deps.db, actorOf(req));
    renderer.render(req, res, 'tenancy/account', { title: 'Your account', errors: {}, activity, rules: passwordRules, ...extra }, { status });
  };

  router.get('/account', requireSignIn, (req, res) => accountPage(req, res));

  router.post('/account/password', requireSignIn, async (req, res) => {
    const parsed = parseForm(schemas.changePasswordForm, req.body);
    if (!parsed.ok) return accountPage(req, res, { errors: parsed.errors }, 422);
    const result = await changePassword(authDeps, actorOf(req), parsed.data.currentPassword, parsed.data.newPassword, req.sessionID);
    if (!result.ok) return accountPage(req, res, { errors: { [result.field]: result.message } }, 422);
    flash(req, 'Your password has been changed. Any other devices have been signed out.');
    res.redirect(303, '/account');
  });

  router.post('/account/sign-out-everywhere', requireSignIn, async (req, res) => {
    const ended = await signOutEverywhere(deps.db, actorOf(req), req.sessionID);
    flash(req, ended === 1 ? 'You have been signed out of 1 other device.' : `You have been signed out of ${ended} other devices.`);
    res.redirect(303, '/account');
  });

  return router;
}
