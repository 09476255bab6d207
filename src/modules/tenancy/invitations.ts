import crypto from 'node:crypto';
import type { Database, Tx } from '../../db/index.js';
import { type Actor, type Role, roleLabels, systemActor, type RequestMeta } from '../../policy/index.js';
import type { StaffGroups } from '../../http/deps.js';
import type { Mailer } from '../../mail/index.js';
import * as audit from '../audit/index.js';
import { Invitation, type OrganisationKind, type Row } from './models.js';
import * as q from './queries.js';
import { hashToken } from './tokens.js';

/**
 * Invitations (A1, P1). An invitation is what the inviter typed (email, names, roles, groups) and
 * a hashed single-use link token; it changes no account. The person accepts it themselves:
 * - with no Waypoint account yet, by setting a password from the link (their account is created);
 * - with an existing staff account, signed in as that account, by pressing Accept.
 * Until then the inviting organisation learns nothing about any account with that email, and an
 * email that belongs to a parent or the operator gets the same answer as any other. Acceptance
 * runs as the system actor, because it writes memberships no inviter may write.
 */

export const invitationLifetimeMs = 7 * 24 * 60 * 60 * 1000;

export interface Invitee {
  email: string;
  title: string | null;
  given_name: string;
  family_name: string;
  job_title: string | null;
}

export interface IssuedInvitation {
  id: string;
  token: string;
  email: string;
  givenName: string;
  roles: Role[];
}

const newToken = () => crypto.randomBytes(32).toString('base64url');

/**
 * Creates an invitation under the inviter's own rights (row-level security checks the
 * organisation and the roles). An open invitation of the same email to the same organisation is
 * replaced, so only the newest link works.
 */
export async function createInvitation(
  trx: Tx,
  actor: Actor,
  orgId: string,
  invitee: Invitee,
  roles: Role[],
  groupIds: string[] = [],
): Promise<IssuedInvitation> {
  const email = q.normaliseEmail(invitee.email);
  await openInvitations(trx).where({ org_id: orgId, email }).update({ revoked_at: trx.fn.now() });
  const token = newToken();
  const row = await Invitation.query(trx).insert({
    org_id: orgId,
    ...invitee,
    email,
    roles,
    group_ids: [...new Set(groupIds)],
    token_hash: hashToken(token),
    expires_at: new Date(Date.now() + invitationLifetimeMs),
    invited_by: actor.kind === 'system' ? null : (actor as { userId: string }).userId,
  });
  return { id: row.id, token, email, givenName: invitee.given_name, roles };
}

/** A new link for an open invitation (the old link stops working) and seven more days. */
export async function renewInvitation(trx: Tx, id: string): Promise<IssuedInvitation | null> {
  const token = newToken();
  const [row] = await openInvitations(trx)
    .where({ id })
    .update({ token_hash: hashToken(token), expires_at: new Date(Date.now() + invitationLifetimeMs) })
    .returning(['id', 'email', 'given_name', 'roles']);
  return row ? { id: row.id, token, email: row.email, givenName: row.given_name, roles: row.roles } : null;
}

export const openInvitations = (trx: Tx) =>
  trx('invitations').whereNull('accepted_at').whereNull('declined_at').whereNull('revoked_at');

/** The person who sent an invitation, as its email names them (null: the operator, setting up a new organisation). */
export interface Inviter {
  name: string;
  email: string;
}

/** The email, sent after the transaction commits. It names who invited them, where, as what, and whom to ask. */
export async function sendInvitation(
  mailer: Mailer,
  publicOrigin: string,
  invited: IssuedInvitation,
  orgName: string,
  inviter: Inviter | null,
): Promise<boolean> {
  const roles = invited.roles.map((r) => roleLabels[r]).join(', ');
  const by = inviter ? `${inviter.name} has invited you` : 'You have been invited';
  const ask = inviter
    ? `If you have a question about this invitation, ask ${inviter.name} (${inviter.email}) at ${orgName}.`
    : `You are invited as the first admin, as Waypoint is set up for ${orgName}. If you have a question, ` +
      `ask whoever arranged Waypoint at ${orgName}.`;
  const text =
    `Hello ${invited.givenName},\n\n${by} to use Waypoint at ${orgName} (${invited.roles.length > 1 ? 'roles' : 'role'}: ${roles}).\n\n` +
    `To accept, open this link within 7 days:\n\n${publicOrigin}/invitations/${invited.token}\n\n` +
    `If you are new to Waypoint you will choose a password, and then you are signed in. If you already use ` +
    `Waypoint at another school, you will be asked to sign in with your existing account and accept.\n\n` +
    `${ask}\n\n` +
    `If you were not expecting this, ignore this email: nothing happens unless you open the link and accept.\n`;
  try {
    await mailer.send({ to: invited.email, subject: `Your invitation to Waypoint at ${orgName}`, text });
    return true;
  } catch {
    return false;
  }
}

/** An invitation as its link and the account page show it: the row, where to and from whom. */
export interface OpenInvitation extends Row<Invitation> {
  org_name: string;
  org_kind: OrganisationKind;
  inviter_name: string | null;
}

/** The open, unexpired invitation a link token belongs to (read as the system), or null. */
export async function invitationByToken(
  db: Database,
  token: string,
  meta: RequestMeta,
): Promise<OpenInvitation | null> {
  return db.withActor(
    systemActor('auth', meta),
    async (trx) => (await openInvitationQuery(trx).where('i.token_hash', hashToken(token)).first()) ?? null,
  );
}

/** Open invitations sent to this email address (shown on the person's account page). */
export async function invitationsForEmail(db: Database, email: string, meta: RequestMeta): Promise<OpenInvitation[]> {
  return db.withActor(systemActor('auth', meta), (trx) =>
    openInvitationQuery(trx).where('i.email', q.normaliseEmail(email)).orderBy('i.created_at'),
  );
}

function openInvitationQuery(trx: Tx) {
  return trx('invitations as i')
    .join('organisations as o', 'o.id', 'i.org_id')
    .leftJoin('users as by', 'by.id', 'i.invited_by')
    .whereNull('i.accepted_at')
    .whereNull('i.declined_at')
    .whereNull('i.revoked_at')
    .where('i.expires_at', '>', trx.fn.now())
    .select(
      'i.*',
      'o.name as org_name',
      'o.kind as org_kind',
      trx.raw(`nullif(concat_ws(' ', by.given_name, by.family_name), '') as inviter_name`),
    );
}

/**
 * Accepts an invitation for a user (in the caller's transaction, which must run as the system
 * actor): the roles and the groups that still exist, then the invitation is used up. Returns
 * false if it was used, declined or revoked meanwhile. The groups are pupils' (`staffGroups`),
 * joined in this same transaction.
 */
export async function acceptInvitation(
  deps: { db: Database; staffGroups: StaffGroups },
  trx: Tx,
  invitation: OpenInvitation,
  userId: string,
  meta: RequestMeta,
): Promise<boolean> {
  const schoolId = invitation.org_kind === 'school' ? invitation.org_id : undefined;
  const sys = systemActor('auth', meta, schoolId);
  return deps.db.asSystem(
    trx,
    sys,
    async () => {
      const [used] = await openInvitations(trx)
        .where({ id: invitation.id })
        .where('expires_at', '>', trx.fn.now())
        .update({ accepted_at: trx.fn.now(), accepted_by: userId })
        .returning('id');
      if (!used) return false;
      for (const role of invitation.roles) {
        await trx('memberships')
          .insert({ user_id: userId, org_id: invitation.org_id, role, created_by: invitation.invited_by })
          .onConflict(['user_id', 'org_id', 'role'])
          .merge({ disabled_at: null });
      }
      if (schoolId) await deps.staffGroups.join(trx, schoolId, userId, invitation.group_ids, invitation.roles);
      await audit.record(trx, sys, {
        action: 'auth.invitation_accepted',
        entityType: 'invitation',
        entityId: invitation.id,
        subjectUserId: userId,
        schoolId: schoolId ?? null,
        orgId: schoolId ? null : invitation.org_id,
        meta: { roles: invitation.roles.join(',') },
      });
      return true;
    },
    schoolId,
  );
}

/** The person says no: the invitation is closed, and the inviting organisation sees "declined". */
export async function declineInvitation(db: Database, invitation: OpenInvitation, meta: RequestMeta): Promise<void> {
  const schoolId = invitation.org_kind === 'school' ? invitation.org_id : undefined;
  const sys = systemActor('auth', meta, schoolId);
  await db.withActor(sys, async (trx) => {
    const [row] = await openInvitations(trx)
      .where({ id: invitation.id })
      .update({ declined_at: trx.fn.now() })
      .returning('id');
    if (row) {
      await audit.record(trx, sys, {
        action: 'auth.invitation_declined',
        entityType: 'invitation',
        entityId: invitation.id,
        schoolId: schoolId ?? null,
        orgId: schoolId ? null : invitation.org_id,
      });
    }
  });
}
