import type { Database } from '../../db/index.js';
import { firstSubmission } from '../../db/idempotency.js';
import { type Actor, assert, type Role } from '../../policy/index.js';
import type { Mailer } from '../../mail/index.js';
import type { OrganisationCreatedHook } from '../../http/module.js';
import { NotFound } from '../../errors.js';
import { FieldError } from '../../http/form-page.js';
import * as audit from '../audit/index.js';
import { createInvitation, type Invitee, sendInvitation } from './invitations.js';
import { Organisation, type OrganisationKind, type Row, SchoolSettings } from './models.js';
import * as q from './queries.js';

export interface OrgDeps {
  db: Database;
  mailer: Mailer;
  publicOrigin: string;
}

export interface OrganisationSummary extends Row<Organisation> {
  trust_name: string | null;
  la_name: string | null;
  admins: { id: string; name: string; email: string; invited: boolean }[];
  /** An admin who has set up their account: from then on the operator may only request changes (P1). */
  hasActiveAdmin: boolean;
}

export interface OrganisationDetail extends OrganisationSummary {
  invitations: { email: string; name: string; expires_at: Date }[];
  requests: { email: string; name: string; created_at: Date; decision: string | null }[];
}

const adminRoleFor: Record<OrganisationKind, Role> = {
  school: 'school_admin',
  trust: 'trust_admin',
  local_authority: 'la_officer',
};

function operatorOf(actor: Actor) {
  assert(actor, 'operator.organisations');
  if (actor.kind !== 'operator') throw new Error('unreachable');
  return actor;
}

/** The operator's list: organisations and their first admins. No pupil data (P1). */
export async function listOrganisations(db: Database, actor: Actor): Promise<OrganisationSummary[]> {
  const op = operatorOf(actor);
  return db.withActor(op, async (trx) => {
    const orgs = await trx('organisations as o')
      .leftJoin('organisations as t', 't.id', 'o.trust_id')
      .leftJoin('organisations as l', 'l.id', 'o.la_id')
      .select('o.*', 't.name as trust_name', 'l.name as la_name')
      .orderBy([{ column: 'o.kind' }, { column: 'o.name' }]);
    const admins = await trx('memberships as m')
      .join('users as u', 'u.id', 'm.user_id')
      .whereIn('m.role', ['school_admin', 'trust_admin', 'la_officer'])
      .whereNull('m.disabled_at')
      .select(
        'm.org_id',
        'u.id',
        'u.email',
        'u.given_name',
        'u.family_name',
        trx.raw('u.password_hash is null as invited'),
      )
      .orderBy('u.family_name');
    return orgs.map((o: OrganisationSummary) => {
      const own = admins
        .filter((a: { org_id: string }) => a.org_id === o.id)
        .map((a: { id: string; email: string; given_name: string; family_name: string; invited: boolean }) => ({
          id: a.id,
          email: a.email,
          name: `${a.given_name} ${a.family_name}`,
          invited: a.invited,
        }));
      return { ...o, admins: own, hasActiveAdmin: own.some((a: { invited: boolean }) => !a.invited) };
    });
  });
}

export async function getOrganisation(db: Database, actor: Actor, id: string): Promise<OrganisationDetail> {
  const org = (await listOrganisations(db, actor)).find((o) => o.id === id);
  if (!org) throw new NotFound('organisation');
  return db.withActor(operatorOf(actor), async (trx) => {
    const name = trx.raw(`given_name || ' ' || family_name as name`);
    const invitations = await trx('invitations')
      .where({ org_id: id })
      .whereNull('accepted_at')
      .whereNull('revoked_at')
      .whereNull('declined_at')
      .where('expires_at', '>', trx.fn.now())
      .select('email', name, 'expires_at')
      .orderBy('created_at');
    const requests = await trx('admin_change_requests')
      .where({ org_id: id })
      .select('email', name, 'created_at', 'decision')
      .orderBy('created_at', 'desc')
      .limit(10);
    return { ...org, invitations, requests };
  });
}

export interface NewOrganisation extends Omit<Row<Organisation>, 'id'> {
  submissionKey?: string | undefined;
}

/**
 * Creates an organisation and, in the same transaction, lets every module set it up through its
 * `onOrganisationCreated` hook (assessments: the default frameworks and this year's terms). Tenancy
 * sits below those modules, so it knows them only as the hooks the app hands it.
 */
export async function createOrganisation(
  db: Database,
  actor: Actor,
  input: NewOrganisation,
  hooks: readonly OrganisationCreatedHook[],
): Promise<string | null> {
  const op = operatorOf(actor);
  return db.withActor(op, async (trx) => {
    if (!(await firstSubmission(trx, op.userId, input.submissionKey))) return null;
    const { submissionKey: _k, ...values } = input;
    if (values.kind !== 'school')
      Object.assign(values, { trust_id: null, la_id: null, phase: null, la_code: null, establishment_number: null });
    for (const [field, kind] of [
      ['trust_id', 'trust'],
      ['la_id', 'local_authority'],
    ] as const) {
      const parent = values[field] ? await q.organisationById(trx, values[field]!) : null;
      if (values[field] && parent?.kind !== kind)
        throw new FieldError(
          'trust_id',
          `The chosen ${kind === 'trust' ? 'trust' : 'local authority'} does not exist.`,
        );
    }
    const row = await Organisation.query(trx).insert(values);
    if (values.kind === 'school') await SchoolSettings.query(trx).insert({ school_id: row.id });
    // The operator may not write an organisation's own data (P1), so each hook runs as the system for it.
    const org = { id: row.id, kind: values.kind, phase: values.phase ?? null };
    const schoolId = values.kind === 'school' ? org.id : undefined;
    for (const hook of hooks) await db.asSystem(trx, op, () => hook(trx, org, op), schoolId);
    await audit.record(trx, op, {
      action: 'org.created',
      entityType: 'organisation',
      entityId: row.id,
      schoolId: values.kind === 'school' ? row.id : null,
      orgId: values.kind === 'school' ? null : row.id,
      fields: Object.keys(values),
      meta: { kind: values.kind },
    });
    return row.id as string;
  });
}

/**
 * Invites an organisation's first admin (onboarding). Once it has an active admin the policy
 * refuses (P1): the operator may only request a change, which that admin approves
 * (admin-requests.ts). Row-level security refuses the same insert again.
 */
export async function inviteOrganisationAdmin(
  deps: OrgDeps,
  actor: Actor,
  orgId: string,
  invitee: Invitee & { submissionKey?: string | undefined },
): Promise<{ emailed: boolean } | null> {
  const op = operatorOf(actor);
  const org = await getOrganisation(deps.db, op, orgId);
  assert(op, 'operator.invite_first_admin', { orgHasActiveAdmin: org.hasActiveAdmin });
  const result = await deps.db.withActor(op, async (trx) => {
    if (!(await firstSubmission(trx, op.userId, invitee.submissionKey))) return null;
    const { submissionKey: _k, ...person } = invitee;
    const role = adminRoleFor[org.kind];
    const invited = await createInvitation(trx, op, org.id, person, [role]);
    await audit.record(trx, op, {
      action: 'org.admin_invited',
      entityType: 'invitation',
      entityId: invited.id,
      schoolId: org.kind === 'school' ? org.id : null,
      orgId: org.kind === 'school' ? null : org.id,
      meta: { role },
    });
    return { invited, orgName: org.name };
  });
  if (!result) return null;
  return { emailed: await sendInvitation(deps.mailer, deps.publicOrigin, result.invited, result.orgName, null) };
}
