import type { Database, Tx } from '../../db/index.js';
import type { Actor, Role } from '../../policy/index.js';
import type { Mailer } from '../../mail/index.js';
import * as q from './queries.js';
import { issueToken } from './tokens.js';

export interface Invitee {
  email: string;
  title: string | null;
  given_name: string;
  family_name: string;
  job_title: string | null;
}

export interface Invited {
  userId: string;
  email: string;
  givenName: string;
  /** A link token when the person has no password yet; null when they already have an account. */
  token: string | null;
}

export class InviteeIsParent extends Error {
  constructor() {
    super('That email belongs to a parent account. Staff need their own work email.');
  }
}

/**
 * Gives a person roles in an organisation, creating their account if it is new. Finding an
 * existing account by email is the one step an inviting admin's own rights cannot see (the person
 * may work elsewhere), so it runs as the system actor; the roles are written under the admin's own
 * rights, where row-level security checks the organisation and the role.
 */
export async function inviteMember(db: Database, trx: Tx, actor: Actor, invitee: Invitee, orgId: string, roles: Role[]): Promise<Invited> {
  const inviterId = actor.kind === 'system' ? null : actor.userId;
  const user = await db.asSystem(trx, actor, async () => {
    const existing = await q.userByEmail(trx, invitee.email);
    if (existing) {
      if (existing.kind !== 'staff') throw new InviteeIsParent();
      return existing;
    }
    const [created] = await trx('users')
      .insert({ kind: 'staff', ...invitee, email: q.normaliseEmail(invitee.email) })
      .returning('*');
    return created as q.UserRow;
  });
  for (const role of roles) {
    await trx('memberships')
      .insert({ user_id: user.id, org_id: orgId, role, created_by: inviterId })
      .onConflict(['user_id', 'org_id', 'role'])
      .merge({ disabled_at: null });
  }
  const token = user.password_hash ? null : await issueToken(trx, user.id, 'invitation', inviterId);
  return { userId: user.id, email: user.email, givenName: user.given_name, token };
}

/** Sends the invitation (or "you have been added") email. Called after the transaction commits. */
export async function sendInvitation(mailer: Mailer, publicOrigin: string, invited: Invited, orgName: string): Promise<boolean> {
  const text = invited.token
    ? `Hello ${invited.givenName},\n\nYou have been invited to use Waypoint at ${orgName}.\n\n` +
      `To set your password and sign in, open this link within 7 days:\n\n${publicOrigin}/invitations/${invited.token}\n\n` +
      `If you were not expecting this, you can ignore this email.\n`
    : `Hello ${invited.givenName},\n\nYou now have access to ${orgName} in Waypoint. ` +
      `Sign in as usual at ${publicOrigin}/sign-in and choose ${orgName}.\n`;
  try {
    await mailer.send({ to: invited.email, subject: `Your Waypoint access at ${orgName}`, text });
    return true;
  } catch {
    return false;
  }
}
