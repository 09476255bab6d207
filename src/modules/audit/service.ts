import type { Tx } from '../../db/index.js';
import type { Database } from '../../db/index.js';
import { type Actor, actorOrgId, actorSchoolId, actorUserId, assertStaff } from '../../policy/index.js';
import type { AuditAction } from './actions.js';
import { auditActions } from './actions.js';
import * as queries from './queries.js';

/**
 * One audit row. It names what happened and to what, and which fields changed, but never their
 * values: no passwords, tokens, note bodies, safeguarding prompts or other special-category data.
 * `meta` is for small, non-personal facts (a row count, a role name, a setting's new on/off).
 */
export interface AuditEntry {
  action: AuditAction;
  entityType?: string;
  entityId?: string;
  fields?: string[];
  outcome?: 'ok' | 'denied' | 'failed';
  /** Defaults to the actor's school. */
  schoolId?: string | null;
  orgId?: string | null;
  /** Overrides the actor's user id (e.g. a failed sign-in for a known account). */
  subjectUserId?: string | null;
  meta?: Record<string, string | number | boolean | null>;
}

/** Writes the audit row inside the caller's transaction, so it commits or rolls back with the change. */
export async function record(trx: Tx, actor: Actor, entry: AuditEntry): Promise<void> {
  await queries.insertEvent(trx, {
    school_id: entry.schoolId !== undefined ? entry.schoolId : actorSchoolId(actor),
    org_id: entry.orgId !== undefined ? entry.orgId : actorOrgId(actor),
    actor_user_id: entry.subjectUserId !== undefined ? entry.subjectUserId : actorUserId(actor),
    actor_kind: actor.kind,
    action: entry.action,
    entity_type: entry.entityType ?? null,
    entity_id: entry.entityId ?? null,
    fields: entry.fields ?? null,
    outcome: entry.outcome ?? 'ok',
    ip: actor.meta.ip ?? null,
    request_id: actor.meta.requestId ?? null,
    meta: entry.meta ?? null,
  });
}

/** Records an event in its own transaction (denials, whose request transaction rolled back). */
export async function recordAlone(db: Database, actor: Actor, entry: AuditEntry): Promise<void> {
  await db.withActor(actor, (trx) => record(trx, actor, entry));
}

export interface AuditFilters {
  userId?: string | undefined;
  action?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  before?: number | undefined;
}

export const auditPageSize = 50;

/** The school's own log, newest first, keyset-paginated by id. */
export async function searchSchoolLog(db: Database, actor: Actor, filters: AuditFilters) {
  const staff = assertStaff(actor, 'audit.read');
  return db.withActor(staff, async (trx) => {
    const rows = await queries.searchBySchool(trx, staff.schoolId, filters, auditPageSize + 1);
    const users = await queries.schoolUsers(trx, staff.schoolId);
    await record(trx, staff, { action: 'audit.viewed', meta: { filtered: Object.values(filters).some(Boolean) } });
    return {
      rows: rows.slice(0, auditPageSize),
      nextBefore: rows.length > auditPageSize ? rows[auditPageSize - 1]!.id : null,
      users,
      actions: actionChoices(),
    };
  });
}

const actionChoices = () => Object.entries(auditActions).map(([value, label]) => ({ value, label }));

/** The filter form's choices alone, to show a refused filter again (I4); no entry is read. */
export async function filterChoices(db: Database, actor: Actor) {
  const staff = assertStaff(actor, 'audit.read');
  const users = await db.withActor(staff, (trx) => queries.schoolUsers(trx, staff.schoolId));
  return { users, actions: actionChoices() };
}

/** A person's own recent sign-in activity, for their account page. */
export async function ownSignInActivity(db: Database, actor: Actor) {
  const userId = actorUserId(actor);
  if (!userId) return [];
  return db.withActor(actor, (trx) => queries.recentAuthEvents(trx, userId, 10));
}
