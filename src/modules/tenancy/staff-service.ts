import type { Database, Tx } from '../../db/index.js';
import { firstSubmission } from '../../db/idempotency.js';
import { type Actor, assertStaff, type SchoolRole } from '../../policy/index.js';
import type { StaffGroupOption, StaffGroups } from '../../http/deps.js';
import type { Mailer } from '../../mail/index.js';
import { NotFound } from '../../errors.js';
import * as audit from '../audit/index.js';
import {
  createInvitation,
  type Invitee,
  type Inviter,
  openInvitations,
  renewInvitation,
  sendInvitation,
} from './invitations.js';
import { Invitation } from './models.js';
import * as q from './queries.js';
import { FieldError } from '../../http/form-page.js';

export interface StaffDeps {
  db: Database;
  mailer: Mailer;
  publicOrigin: string;
  /** Classes and groups belong to pupils, a module above tenancy: it contributes these calls. */
  staffGroups: StaffGroups;
}

export interface StaffSummary {
  id: string;
  title: string | null;
  given_name: string;
  family_name: string;
  email: string;
  job_title: string | null;
  roles: SchoolRole[];
  status: 'invited' | 'active' | 'disabled';
  groups: { id: string; name: string; role: string }[];
}

/** Shown beside the roles on the staff member's page, as a 409 (the school's state, not the form, refuses it). */
export class LastAdminError extends FieldError {
  constructor() {
    super('roles', 'A school must keep at least one active school admin.', 409);
  }
}

async function staffRows(deps: StaffDeps, actor: Actor, userId?: string): Promise<StaffSummary[]> {
  const staff = assertStaff(actor, 'staff.read');
  return deps.db.withActor(staff, async (trx) => {
    const q1 = trx('users as u')
      .join('memberships as m', function () {
        this.on('m.user_id', 'u.id').andOn('m.org_id', trx.raw('?', [staff.schoolId]));
      })
      .groupBy('u.id')
      .select(
        'u.id',
        'u.title',
        'u.given_name',
        'u.family_name',
        'u.email',
        'u.job_title',
        trx.raw(`coalesce(array_agg(m.role order by m.role) filter (where m.disabled_at is null), '{}') as roles`),
        trx.raw(`case when bool_and(m.disabled_at is not null) then 'disabled'
                      when bool_or(u.password_hash is null) then 'invited' else 'active' end as status`),
      )
      .orderBy(['u.family_name', 'u.given_name']);
    if (userId) q1.where('u.id', userId);
    const rows = (await q1) as Omit<StaffSummary, 'groups'>[];
    const groups = await deps.staffGroups.assignments(trx, staff.schoolId, userId);
    return rows.map((r) => ({
      ...r,
      groups: groups.filter((g) => g.userId === r.id).map(({ groupId, name, role }) => ({ id: groupId, name, role })),
    }));
  });
}

export const listStaff = (deps: StaffDeps, actor: Actor) => staffRows(deps, actor);

export async function getStaffMember(deps: StaffDeps, actor: Actor, userId: string): Promise<StaffSummary> {
  const [row] = await staffRows(deps, actor, userId);
  if (!row) throw new NotFound('staff member');
  return row;
}

/** The classes and groups a person may be given, labelled for their checkboxes. */
export async function groupOptions(
  deps: StaffDeps,
  actor: Actor,
  purpose: 'staff.read' | 'staff.manage' = 'staff.read',
): Promise<StaffGroupOption[]> {
  const staff = assertStaff(actor, purpose);
  return deps.db.withActor(staff, (trx) => deps.staffGroups.options(trx, staff.schoolId));
}

export interface InviteStaffInput extends Invitee {
  roles: SchoolRole[];
  groupIds: string[];
  submissionKey?: string | undefined;
}

/**
 * A school admin invites a member of staff with roles and groups (P8 fields only). Nothing
 * happens to any account until the person accepts (invitations.ts); the answer is the same
 * whether or not the email already has an account, of whatever kind.
 */
export async function inviteStaff(
  deps: StaffDeps,
  actor: Actor,
  input: InviteStaffInput,
): Promise<{ invitationId: string | null; emailed: boolean }> {
  const staff = assertStaff(actor, 'staff.manage');
  const result = await deps.db.withActor(staff, async (trx) => {
    if (!(await firstSubmission(trx, staff.userId, input.submissionKey))) return null;
    const school = await q.organisationById(trx, staff.schoolId);
    const { roles, groupIds, submissionKey: _k, ...invitee } = input;
    await deps.staffGroups.assertExist(trx, staff.schoolId, groupIds);
    const invited = await createInvitation(trx, staff, staff.schoolId, invitee, roles, groupIds);
    await audit.record(trx, staff, {
      action: 'staff.invited',
      entityType: 'invitation',
      entityId: invited.id,
      fields: ['email', 'title', 'given_name', 'family_name', 'job_title', 'roles', 'groups'],
      meta: { roles: roles.join(','), groups: groupIds.length },
    });
    return { invited, schoolName: school?.name ?? 'your school', inviter: await inviterOf(trx, staff.userId) };
  });
  if (!result) return { invitationId: null, emailed: true };
  const emailed = await sendInvitation(
    deps.mailer,
    deps.publicOrigin,
    result.invited,
    result.schoolName,
    result.inviter,
  );
  return { invitationId: result.invited.id, emailed };
}

async function inviterOf(trx: Tx, userId: string): Promise<Inviter | null> {
  const me = await q.userById(trx, userId);
  return me ? { name: q.fullName(me), email: me.email } : null;
}

export interface InvitationSummary {
  id: string;
  email: string;
  title: string | null;
  given_name: string;
  family_name: string;
  roles: SchoolRole[];
  created_at: Date;
  expires_at: Date;
  status: 'waiting' | 'expired' | 'declined';
}

/** Invitations not yet accepted (or declined in the last 30 days), as the school typed them. */
export async function listInvitations(db: Database, actor: Actor): Promise<InvitationSummary[]> {
  const staff = assertStaff(actor, 'staff.read');
  return db.withActor(staff, async (trx) => {
    const rows = await trx('invitations')
      .where({ org_id: staff.schoolId })
      .whereNull('accepted_at')
      .whereNull('revoked_at')
      .where((w) => w.whereNull('declined_at').orWhere('declined_at', '>', trx.raw(`now() - interval '30 days'`)))
      .select('id', 'email', 'title', 'given_name', 'family_name', 'roles', 'created_at', 'expires_at', 'declined_at')
      .orderBy('created_at', 'desc');
    const now = Date.now();
    return rows.map(({ declined_at, ...r }: InvitationSummary & { declined_at: Date | null }) => ({
      ...r,
      status: declined_at ? 'declined' : r.expires_at.getTime() < now ? 'expired' : 'waiting',
    }));
  });
}

/** A new link (and seven more days) for an invitation that has not been accepted. */
export async function resendInvitation(deps: StaffDeps, actor: Actor, invitationId: string): Promise<boolean> {
  const staff = assertStaff(actor, 'staff.manage');
  const result = await deps.db.withActor(staff, async (trx) => {
    const exists = await Invitation.query(trx)
      .findById(invitationId)
      .where({ org_id: staff.schoolId })
      .select('id', 'accepted_at', 'revoked_at', 'declined_at');
    if (!exists || exists.revoked_at) throw new NotFound('invitation');
    if (exists.accepted_at || exists.declined_at) return null;
    const invited = await renewInvitation(trx, invitationId);
    if (!invited) return null;
    await audit.record(trx, staff, {
      action: 'staff.invited',
      entityType: 'invitation',
      entityId: invitationId,
      meta: { resent: true },
    });
    const school = await q.organisationById(trx, staff.schoolId);
    return { invited, schoolName: school?.name ?? 'your school', inviter: await inviterOf(trx, staff.userId) };
  });
  if (!result) return false;
  return sendInvitation(deps.mailer, deps.publicOrigin, result.invited, result.schoolName, result.inviter);
}

/** Withdraws an invitation: its link stops working at once. */
export async function revokeInvitation(deps: StaffDeps, actor: Actor, invitationId: string): Promise<void> {
  const staff = assertStaff(actor, 'staff.manage');
  await deps.db.withActor(staff, async (trx) => {
    const [row] = await openInvitations(trx)
      .where({ id: invitationId, org_id: staff.schoolId })
      .update({ revoked_at: trx.fn.now() })
      .returning('id');
    if (!row) throw new NotFound('invitation');
    await audit.record(trx, staff, {
      action: 'staff.invitation_revoked',
      entityType: 'invitation',
      entityId: invitationId,
    });
  });
}

async function ensureAnotherAdmin(trx: Tx, schoolId: string, leavingUserId: string) {
  const others = await trx('memberships')
    .where({ org_id: schoolId, role: 'school_admin' })
    .whereNull('disabled_at')
    .whereNot('user_id', leavingUserId)
    .count<{ count: string }[]>('* as count');
  if (Number(others[0]?.count ?? 0) === 0) throw new LastAdminError();
}

/** Replaces a person's roles at this school. Removed roles end their sessions at once (A3). */
export async function setRoles(deps: StaffDeps, actor: Actor, userId: string, roles: SchoolRole[]): Promise<void> {
  const staff = assertStaff(actor, 'staff.manage');
  await deps.db.withActor(staff, async (trx) => {
    const current: SchoolRole[] = await trx('memberships')
      .where({ org_id: staff.schoolId, user_id: userId })
      .whereNull('disabled_at')
      .pluck('role');
    if (!current.length) throw new NotFound('staff member');
    const removed = current.filter((r) => !roles.includes(r));
    const added = roles.filter((r) => !current.includes(r));
    if (removed.includes('school_admin')) await ensureAnotherAdmin(trx, staff.schoolId, userId);
    if (removed.length) {
      await trx('memberships').where({ org_id: staff.schoolId, user_id: userId }).whereIn('role', removed).del();
      await q.deleteSessionsInContext(trx, userId, staff.schoolId);
    }
    for (const role of added) {
      await trx('memberships').insert({ user_id: userId, org_id: staff.schoolId, role, created_by: staff.userId });
    }
    for (const role of removed) {
      await audit.record(trx, staff, {
        action: 'staff.role_removed',
        entityType: 'user',
        entityId: userId,
        fields: ['roles'],
        meta: { role },
      });
    }
    for (const role of added) {
      await audit.record(trx, staff, {
        action: 'staff.role_added',
        entityType: 'user',
        entityId: userId,
        fields: ['roles'],
        meta: { role },
      });
    }
  });
}

/** Turns a person's access to this school off (or back on). Disabling ends their sessions (A3, S4). */
export async function setDisabled(deps: StaffDeps, actor: Actor, userId: string, disabled: boolean): Promise<void> {
  const staff = assertStaff(actor, 'staff.manage');
  await deps.db.withActor(staff, async (trx) => {
    if (disabled) await ensureAnotherAdmin(trx, staff.schoolId, userId);
    const changed = await trx('memberships')
      .where({ org_id: staff.schoolId, user_id: userId })
      .update({ disabled_at: disabled ? trx.fn.now() : null });
    if (!changed) throw new NotFound('staff member');
    if (disabled) await q.deleteSessionsInContext(trx, userId, staff.schoolId);
    await audit.record(trx, staff, {
      action: disabled ? 'staff.disabled' : 'staff.enabled',
      entityType: 'user',
      entityId: userId,
    });
  });
}

export async function setGroups(deps: StaffDeps, actor: Actor, userId: string, groupIds: string[]): Promise<void> {
  const staff = assertStaff(actor, 'staff.manage');
  await deps.db.withActor(staff, async (trx) => {
    const roles: string[] = await trx('memberships')
      .where({ org_id: staff.schoolId, user_id: userId })
      .whereNull('disabled_at')
      .pluck('role');
    if (!roles.length) throw new NotFound('staff member');
    await deps.staffGroups.replace(trx, staff.schoolId, userId, groupIds, roles);
    await audit.record(trx, staff, {
      action: 'staff.groups_changed',
      entityType: 'user',
      entityId: userId,
      fields: ['groups'],
      meta: { groups: groupIds.length },
    });
  });
}
