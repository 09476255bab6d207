import type { Database, Tx } from '../../db/index.js';
import { firstSubmission } from '../../db/idempotency.js';
import { type Actor, assertStaff, type SchoolRole } from '../../policy/index.js';
import type { Mailer } from '../../mail/index.js';
import { NotFound } from '../../errors.js';
import * as audit from '../audit/service.js';
import { type Invitee, inviteMember, sendInvitation } from './invitations.js';
import * as q from './queries.js';

export interface StaffDeps {
  db: Database;
  mailer: Mailer;
  publicOrigin: string;
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

export interface GroupOption {
  id: string;
  name: string;
  kind: string;
  year_group: string | null;
}

export class LastAdminError extends Error {
  constructor() {
    super('A school must keep at least one active school admin.');
  }
}

async function staffRows(db: Database, actor: Actor, userId?: string): Promise<StaffSummary[]> {
  const staff = assertStaff(actor, 'staff.read');
  return db.withActor(staff, async (trx) => {
    const q1 = trx('users as u')
      .join('memberships as m', function () {
        this.on('m.user_id', 'u.id').andOn('m.org_id', trx.raw('?', [staff.schoolId]));
      })
      .groupBy('u.id')
      .select(
        'u.id', 'u.title', 'u.given_name', 'u.family_name', 'u.email', 'u.job_title',
        trx.raw(`coalesce(array_agg(m.role order by m.role) filter (where m.disabled_at is null), '{}') as roles`),
        trx.raw(`case when bool_and(m.disabled_at is not null) then 'disabled'
                      when bool_or(u.password_hash is null) then 'invited' else 'active' end as status`),
      )
      .orderBy(['u.family_name', 'u.given_name']);
    if (userId) q1.where('u.id', userId);
    const rows = (await q1) as Omit<StaffSummary, 'groups'>[];
    const groups = await trx('group_staff as gs')
      .join('groups as g', 'g.id', 'gs.group_id')
      .where('gs.school_id', staff.schoolId)
      .modify((qb) => (userId ? qb.where('gs.user_id', userId) : qb))
      .select('gs.user_id', 'g.id', 'g.name', 'gs.role')
      .orderBy('g.name');
    return rows.map((r) => ({
      ...r,
      groups: groups.filter((g: { user_id: string }) => g.user_id === r.id).map(({ id, name, role }: GroupOption & { role: string }) => ({ id, name, role })),
    }));
  });
}

export const listStaff = (db: Database, actor: Actor) => staffRows(db, actor);

export async function getStaffMember(db: Database, actor: Actor, userId: string): Promise<StaffSummary> {
  const [row] = await staffRows(db, actor, userId);
  if (!row) throw new NotFound('staff member');
  return row;
}

export async function groupOptions(db: Database, actor: Actor, purpose: 'staff.read' | 'staff.manage' = 'staff.read'): Promise<GroupOption[]> {
  const staff = assertStaff(actor, purpose);
  return db.withActor(staff, (trx) =>
    trx('groups').where({ school_id: staff.schoolId }).whereNull('archived_at')
      .select('id', 'name', 'kind', 'year_group').orderBy(['kind', 'name']),
  );
}

export interface InviteStaffInput extends Invitee {
  roles: SchoolRole[];
  groupIds: string[];
  submissionKey?: string | undefined;
}

/** A school admin invites a member of staff with roles and groups (P8 fields only). */
export async function inviteStaff(deps: StaffDeps, actor: Actor, input: InviteStaffInput): Promise<{ userId: string | null; emailed: boolean }> {
  const staff = assertStaff(actor, 'staff.manage');
  const result = await deps.db.withActor(staff, async (trx) => {
    if (!(await firstSubmission(trx, staff.userId, input.submissionKey))) return null;
    const school = await q.organisationById(trx, staff.schoolId);
    const { roles, groupIds, submissionKey: _k, ...invitee } = input;
    const invited = await inviteMember(deps.db, trx, staff, invitee, staff.schoolId, roles);
    await assignGroups(trx, staff.schoolId, invited.userId, groupIds, roles);
    await audit.record(trx, staff, {
      action: 'staff.invited', entityType: 'user', entityId: invited.userId,
      fields: ['email', 'title', 'given_name', 'family_name', 'job_title', 'roles', 'groups'],
      meta: { roles: roles.join(','), groups: groupIds.length },
    });
    return { invited, schoolName: school?.name ?? 'your school' };
  });
  if (!result) return { userId: null, emailed: true };
  const emailed = await sendInvitation(deps.mailer, deps.publicOrigin, result.invited, result.schoolName);
  return { userId: result.invited.userId, emailed };
}

async function assignGroups(trx: Tx, schoolId: string, userId: string, groupIds: string[], roles: readonly string[]) {
  await trx('group_staff').where({ school_id: schoolId, user_id: userId }).del();
  if (!groupIds.length) return;
  const groupRole = roles.includes('teacher') || !roles.includes('teaching_assistant') ? 'teacher' : 'teaching_assistant';
  const valid = await trx('groups').where({ school_id: schoolId }).whereIn('id', groupIds).pluck('id');
  if (valid.length !== new Set(groupIds).size) throw new NotFound('group');
  await trx('group_staff').insert(valid.map((group_id: string) => ({ school_id: schoolId, group_id, user_id: userId, role: groupRole })));
}

async function ensureAnotherAdmin(trx: Tx, schoolId: string, leavingUserId: string) {
  const others = await trx('memberships')
    .where({ org_id: schoolId, role: 'school_admin' }).whereNull('disabled_at').whereNot('user_id', leavingUserId).count<{ count: string }[]>('* as count');
  if (Number(others[0]?.count ?? 0) === 0) throw new LastAdminError();
}

/** Replaces a person's roles at this school. Removed roles end their sessions at once (A3). */
export async function setRoles(deps: StaffDeps, actor: Actor, userId: string, roles: SchoolRole[]): Promise<void> {
  const staff = assertStaff(actor, 'staff.manage');
  await deps.db.withActor(staff, async (trx) => {
    const current: SchoolRole[] = await trx('memberships').where({ org_id: staff.schoolId, user_id: userId }).whereNull('disabled_at').pluck('role');
    if (!current.length) throw new NotFound('staff member');
    const removed = current.filter((r) => !roles.includes(r));
    const added = roles.filter((r) => !current.includes(r));
    if (removed.includes('school_admin')) await ensureAnotherAdmin(trx, staff.schoolId, userId);
    if (removed.length) {
      await trx('memberships').where({ org_id: staff.schoolId, user_id: userId }).whereIn('role', removed).del();
      await q.deleteSessionsOf(trx, userId);
    }
    for (const role of added) {
      await trx('memberships').insert({ user_id: userId, org_id: staff.schoolId, role, created_by: staff.userId });
    }
    for (const role of removed) {
      await audit.record(trx, staff, { action: 'staff.role_removed', entityType: 'user', entityId: userId, fields: ['roles'], meta: { role } });
    }
    for (const role of added) {
      await audit.record(trx, staff, { action: 'staff.role_added', entityType: 'user', entityId: userId, fields: ['roles'], meta: { role } });
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
    if (disabled) await q.deleteSessionsOf(trx, userId);
    await audit.record(trx, staff, { action: disabled ? 'staff.disabled' : 'staff.enabled', entityType: 'user', entityId: userId });
  });
}

export async function setGroups(deps: StaffDeps, actor: Actor, userId: string, groupIds: string[]): Promise<void> {
  const staff = assertStaff(actor, 'staff.manage');
  await deps.db.withActor(staff, async (trx) => {
    const roles: string[] = await trx('memberships').where({ org_id: staff.schoolId, user_id: userId }).whereNull('disabled_at').pluck('role');
    if (!roles.length) throw new NotFound('staff member');
    await assignGroups(trx, staff.schoolId, userId, groupIds, roles);
    await audit.record(trx, staff, { action: 'staff.groups_changed', entityType: 'user', entityId: userId, fields: ['groups'], meta: { groups: groupIds.length } });
  });
}

/** Sends a fresh invitation link to someone who has not yet set a password. */
export async function resendInvitation(deps: StaffDeps, actor: Actor, userId: string): Promise<boolean> {
  const staff = assertStaff(actor, 'staff.manage');
  const member = await getStaffMember(deps.db, staff, userId);
  if (member.status !== 'invited') return false;
  const result = await deps.db.withActor(staff, async (trx) => {
    const school = await q.organisationById(trx, staff.schoolId);
    const invited = await inviteMember(deps.db, trx, staff, { email: member.email, title: member.title, given_name: member.given_name, family_name: member.family_name, job_title: member.job_title }, staff.schoolId, []);
    await audit.record(trx, staff, { action: 'staff.invited', entityType: 'user', entityId: userId, meta: { resent: true } });
    return { invited, schoolName: school?.name ?? 'your school' };
  });
  return sendInvitation(deps.mailer, deps.publicOrigin, result.invited, result.schoolName);
}
