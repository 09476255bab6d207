import type { Database } from '../../db/index.js';
import { firstSubmission } from '../../db/idempotency.js';
import { type Actor, assert, assertStaff } from '../../policy/index.js';
import type { Mailer } from '../../mail/index.js';
import { NotFound } from '../../errors.js';
import * as audit from '../audit/index.js';
import { createInvitation, type Invitee, sendInvitation } from './invitations.js';
import { AdminChangeRequest, type Row } from './models.js';
import * as q from './queries.js';

/**
 * P1: once an organisation has an active admin, the operator cannot give anyone admin rights.
 * It can only ask: the request names the person and the reason, lands in the school's audit log
 * and on the school admins' Staff page, and only a school admin's approval sends an invitation
 * (which the person must still accept). Support access is the other way in (P4).
 */

export interface AdminRequestDeps {
  db: Database;
  mailer: Mailer;
  publicOrigin: string;
}

/** A request waiting for the school's decision, as the Staff page lists it. */
export type PendingAdminRequest = Pick<
  Row<AdminChangeRequest>,
  'id' | 'org_id' | 'email' | 'title' | 'given_name' | 'family_name' | 'job_title' | 'reason' | 'created_at'
> & { requested_by_name: string | null };

export interface NewAdminRequest extends Invitee {
  reason: string;
  submissionKey?: string | undefined;
}

/** The operator asks an organisation's admins to add an admin. They are told by email. */
export async function requestAdminChange(
  deps: AdminRequestDeps,
  actor: Actor,
  orgId: string,
  input: NewAdminRequest,
): Promise<boolean> {
  assert(actor, 'operator.request_admin_change');
  if (actor.kind !== 'operator') throw new Error('unreachable');
  const result = await deps.db.withActor(actor, async (trx) => {
    if (!(await firstSubmission(trx, actor.userId, input.submissionKey))) return null;
    const org = await q.organisationById(trx, orgId);
    if (!org) throw new NotFound('organisation');
    const { submissionKey: _k, ...request } = input;
    const row = await AdminChangeRequest.query(trx).insert({
      org_id: org.id,
      requested_by: actor.userId,
      ...request,
      email: q.normaliseEmail(request.email),
    });
    await audit.record(trx, actor, {
      action: 'org.admin_change_requested',
      entityType: 'admin_change_request',
      entityId: row.id,
      schoolId: org.kind === 'school' ? org.id : null,
      orgId: org.kind === 'school' ? null : org.id,
      fields: ['email', 'reason'],
    });
    const admins = await trx('memberships as m')
      .join('users as u', 'u.id', 'm.user_id')
      .where('m.org_id', org.id)
      .whereIn('m.role', ['school_admin', 'trust_admin', 'la_officer'])
      .whereNull('m.disabled_at')
      .whereNotNull('u.password_hash')
      .select('u.email', 'u.given_name');
    return { org, admins: admins as { email: string; given_name: string }[] };
  });
  if (!result) return true;
  let told = true;
  for (const admin of result.admins) {
    await deps.mailer
      .send({
        to: admin.email,
        subject: `Waypoint: a request to add an admin at ${result.org.name}`,
        text:
          `Hello ${admin.given_name},\n\nThe Waypoint operator has asked to add a new admin at ${result.org.name}. ` +
          `Nothing changes unless you approve it.\n\nSign in and open Staff to see who it is for and why, ` +
          `then approve or refuse it:\n\n${deps.publicOrigin}/staff\n`,
      })
      .catch(() => (told = false));
  }
  return told;
}

/** Requests waiting for this school's decision. */
export async function pendingAdminRequests(db: Database, actor: Actor): Promise<PendingAdminRequest[]> {
  const staff = assertStaff(actor, 'staff.manage');
  return db.withActor(staff, (trx) =>
    trx('admin_change_requests as r')
      .where('r.org_id', staff.schoolId)
      .whereNull('r.decided_at')
      .select(
        'r.id',
        'r.org_id',
        'r.email',
        'r.title',
        'r.given_name',
        'r.family_name',
        'r.job_title',
        'r.reason',
        'r.created_at',
        trx.raw(
          `(select concat_ws(' ', u.given_name, u.family_name) from users u where u.id = r.requested_by) as requested_by_name`,
        ),
      )
      .orderBy('r.created_at'),
  );
}

/** A school admin approves (an invitation as school admin is sent) or refuses a request. */
export async function decideAdminRequest(
  deps: AdminRequestDeps,
  actor: Actor,
  id: string,
  approve: boolean,
): Promise<{ emailed: boolean }> {
  const staff = assertStaff(actor, 'staff.manage');
  const result = await deps.db.withActor(staff, async (trx) => {
    const request = await AdminChangeRequest.query(trx)
      .findById(id)
      .where({ org_id: staff.schoolId })
      .whereNull('decided_at')
      .forUpdate();
    if (!request) throw new NotFound('request');
    const invitation = approve
      ? await createInvitation(
          trx,
          staff,
          staff.schoolId,
          {
            email: request.email,
            title: request.title,
            given_name: request.given_name,
            family_name: request.family_name,
            job_title: request.job_title,
          },
          ['school_admin'],
        )
      : null;
    await AdminChangeRequest.query(trx)
      .findById(id)
      .patch({
        decided_at: trx.fn.now(),
        decided_by: staff.userId,
        decision: approve ? 'approved' : 'refused',
        invitation_id: invitation?.id ?? null,
      });
    await audit.record(trx, staff, {
      action: approve ? 'staff.admin_request_approved' : 'staff.admin_request_refused',
      entityType: 'admin_change_request',
      entityId: id,
    });
    const school = await q.organisationById(trx, staff.schoolId);
    const me = await q.userById(trx, staff.userId);
    const inviter = me ? { name: q.fullName(me), email: me.email } : null;
    return { invitation, schoolName: school?.name ?? 'your school', inviter };
  });
  if (!result.invitation) return { emailed: true };
  return {
    emailed: await sendInvitation(deps.mailer, deps.publicOrigin, result.invitation, result.schoolName, result.inviter),
  };
}
