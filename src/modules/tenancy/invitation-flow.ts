import type { StaffGroups } from '../../http/deps.js';
import * as audit from '../audit/index.js';
import { type RequestMeta, systemActor } from '../../policy/index.js';
import type { AuthDeps, SetPasswordResult } from './auth-service.js';
import { linkExpired } from './auth-service.js';
import {
  acceptInvitation,
  declineInvitation,
  invitationByToken,
  invitationsForEmail,
  type OpenInvitation,
} from './invitations.js';
import { passwordProblem } from './passwords.js';
import { User } from './models.js';
import * as q from './queries.js';

/** Accepting may put the person in classes and groups, which pupils contributes (tenancy sits below it). */
export interface InvitationDeps extends AuthDeps {
  staffGroups: StaffGroups;
}

/**
 * What someone holding an invitation link sees. Only the link holder learns whether the email
 * already has an account (the inviting organisation never does): a new person sets a password; a
 * person with a staff account signs in with it and accepts; a parent or operator account's email
 * cannot take staff roles.
 */
export type InvitationView =
  | { kind: 'expired' }
  | { kind: 'new-account' | 'sign-in' | 'accept' | 'other-account' | 'not-staff'; invitation: OpenInvitation };

export async function viewInvitation(
  deps: AuthDeps,
  token: string,
  signedInAs: string | null,
  meta: RequestMeta,
): Promise<InvitationView> {
  const invitation = await invitationByToken(deps.db, token, meta);
  if (!invitation) return { kind: 'expired' };
  const account = await deps.db.withActor(systemActor('auth', meta), (trx) => q.userByEmail(trx, invitation.email));
  if (!account) return { kind: signedInAs ? 'other-account' : 'new-account', invitation };
  if (account.kind !== 'staff' || account.disabled_at) return { kind: 'not-staff', invitation };
  if (!account.password_hash) return { kind: 'new-account', invitation };
  if (!signedInAs) return { kind: 'sign-in', invitation };
  return { kind: signedInAs === account.id ? 'accept' : 'other-account', invitation };
}

/**
 * A new person accepts by choosing a password: the account is created with the names they give
 * (the inviter's spelling is only a suggestion) and joins the organisation, in one transaction.
 * An account made earlier by an old-style invitation (no password yet) is completed the same way.
 */
export async function acceptWithNewAccount(
  deps: InvitationDeps,
  token: string,
  password: string,
  names: { given_name: string; family_name: string; title: string | null },
  meta: RequestMeta,
): Promise<SetPasswordResult> {
  const view = await viewInvitation(deps, token, null, meta);
  if (view.kind !== 'new-account') return linkExpired;
  const { invitation } = view;
  const problem = passwordProblem(password, [
    invitation.email.split('@')[0] ?? '',
    names.given_name,
    names.family_name,
  ]);
  if (problem) return { ok: false, message: problem };
  const hash = await deps.hasher.hash(password);
  const userId = await deps.db.withActor(systemActor('auth', meta), async (trx) => {
    const existing = await q.userByEmail(trx, invitation.email);
    if (existing && (existing.password_hash || existing.kind !== 'staff')) return null;
    const values = {
      ...names,
      job_title: invitation.job_title,
      password_hash: hash,
      password_changed_at: trx.fn.now(),
      updated_at: trx.fn.now(),
    };
    const id = existing
      ? (await User.query(trx).findById(existing.id).patch(values), existing.id)
      : (await User.query(trx).insert({ kind: 'staff', email: invitation.email, ...values })).id;
    if (!(await acceptInvitation(deps, trx, invitation, id, meta))) return null;
    // They proved they hold the link and chose a password, so they are signed in at once (the
    // route starts their session); recorded as every sign-in is (P13).
    await audit.record(trx, systemActor('auth', meta), {
      action: 'auth.sign_in',
      subjectUserId: id,
      schoolId: invitation.org_kind === 'school' ? invitation.org_id : null,
      orgId: invitation.org_kind === 'school' ? null : invitation.org_id,
      meta: { via: 'invitation' },
    });
    return id;
  });
  return userId ? { ok: true, userId } : linkExpired;
}

/** A signed-in staff member accepts an invitation sent to their own email address. */
export async function acceptSignedIn(
  deps: InvitationDeps,
  token: string,
  userId: string,
  meta: RequestMeta,
): Promise<boolean> {
  const view = await viewInvitation(deps, token, userId, meta);
  if (view.kind !== 'accept') return false;
  return deps.db.withActor(systemActor('auth', meta), (trx) =>
    acceptInvitation(deps, trx, view.invitation, userId, meta),
  );
}

/** Anyone holding the link may say no; the organisation sees "declined". */
export async function declineByToken(deps: AuthDeps, token: string, meta: RequestMeta): Promise<boolean> {
  const invitation = await invitationByToken(deps.db, token, meta);
  if (!invitation) return false;
  await declineInvitation(deps.db, invitation, meta);
  return true;
}

/** Accepts or declines, from the account page, an invitation sent to the signed-in person's email. */
export async function answerInvitationById(
  deps: InvitationDeps,
  id: string,
  userId: string,
  accept: boolean,
  meta: RequestMeta,
): Promise<boolean> {
  const user = await deps.db.withActor(systemActor('auth', meta), (trx) => q.userById(trx, userId));
  if (!user || user.kind !== 'staff' || user.disabled_at) return false;
  const invitation = (await invitationsForEmail(deps.db, user.email, meta)).find((i) => i.id === id);
  if (!invitation) return false;
  if (!accept) {
    await declineInvitation(deps.db, invitation, meta);
    return true;
  }
  return deps.db.withActor(systemActor('auth', meta), (trx) => acceptInvitation(deps, trx, invitation, userId, meta));
}
