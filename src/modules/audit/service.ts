import type { Tx } from '../../db/index.js';
import type { Database } from '../../db/index.js';
import type { PeopleDirectory, RecordName, RecordNamer } from '../../http/deps.js';
import {
  type Actor,
  actorOrgId,
  actorSchoolId,
  actorUserId,
  assertStaff,
  type StaffActor,
} from '../../policy/index.js';
import * as queries from './queries.js';
import type { AuditEntry, AuditFilters } from './types.js';

/** Writes the audit row inside the caller's transaction, so it commits or rolls back with the change. */
export async function record(trx: Tx, actor: Actor, entry: AuditEntry): Promise<void> {
  await queries.insertEvent(trx, rowOf(actor, entry));
}

/**
 * The audit row of a read (a view of a pupil, a class, notes …), in the caller's transaction like
 * `record` (P13), but sent with its COMMIT rather than on its own: one round trip fewer per page.
 * It commits with the read or not at all, and a failed insert fails the transaction. For reads only:
 * nothing later in the transaction sees the row.
 */
export async function recordRead(trx: Tx, actor: Actor, entry: AuditEntry): Promise<void> {
  await queries.insertEventAtCommit(trx, rowOf(actor, entry));
}

function rowOf(actor: Actor, entry: AuditEntry): queries.AuditRow {
  return {
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
  };
}

/** Records an event in its own transaction (denials, whose request transaction rolled back). */
export async function recordAlone(db: Database, actor: Actor, entry: AuditEntry): Promise<void> {
  await db.withActor(actor, (trx) => record(trx, actor, entry));
}

/** L1: a policy denial of a route, in its own transaction (the error handler's DenialRecorder). */
export async function recordDenial(
  db: Database,
  actor: Actor,
  denied: { route: string; action: string },
): Promise<void> {
  await recordAlone(db, actor, {
    action: 'access.denied',
    outcome: 'denied',
    entityType: 'route',
    entityId: denied.route,
    meta: { action: denied.action },
  });
}

/** What the audit page reads besides its own table: names from tenancy, labels from every module. */
export interface AuditLogDeps {
  db: Database;
  people: PeopleDirectory;
  auditActionLabels: Readonly<Record<string, string>>;
  /** Names of records by entity type, from the modules that own them (pupils names pupils). */
  recordNames: Readonly<Record<string, RecordNamer>>;
}

/** Each row's record named and linked, where its module names it and the reader may see it. */
async function recordNamesOf(
  trx: Tx,
  deps: AuditLogDeps,
  staff: StaffActor,
  rows: readonly { entity_type: string | null; entity_id: string | null }[],
): Promise<Map<string, RecordName>> {
  const names = new Map<string, RecordName>();
  for (const [type, namer] of Object.entries(deps.recordNames)) {
    const ids = [...new Set(rows.flatMap((r) => (r.entity_type === type && r.entity_id ? [r.entity_id] : [])))];
    if (!ids.length) continue;
    for (const [id, name] of await namer.namesOf(trx, staff, ids)) names.set(`${type}:${id}`, name);
  }
  return names;
}

export const auditPageSize = 50;

const actionChoices = (labels: Readonly<Record<string, string>>) =>
  Object.entries(labels).map(([value, label]) => ({ value, label }));

/** The school's own log, newest first, keyset-paginated by id. */
export async function searchSchoolLog(deps: AuditLogDeps, actor: Actor, filters: AuditFilters) {
  const staff = assertStaff(actor, 'audit.read');
  return deps.db.withActor(staff, async (trx) => {
    const found = await queries.searchBySchool(trx, staff.schoolId, filters, auditPageSize + 1);
    const page = found.slice(0, auditPageSize);
    const actorIds = [...new Set(page.flatMap((r) => (r.actor_user_id ? [r.actor_user_id] : [])))];
    const names = await deps.people.namesOf(trx, actorIds);
    const users = await deps.people.schoolPeople(trx, staff.schoolId);
    const records = await recordNamesOf(trx, deps, staff, [
      ...page,
      ...(filters.pupilId ? [{ entity_type: 'pupil', entity_id: filters.pupilId }] : []),
    ]);
    await recordRead(trx, staff, { action: 'audit.viewed', meta: { filtered: Object.values(filters).some(Boolean) } });
    return {
      rows: page.map((r) => ({
        ...r,
        actor_name: (r.actor_user_id && names.get(r.actor_user_id)) || null,
        record: records.get(`${r.entity_type}:${r.entity_id}`) ?? null,
      })),
      /** The pupil the log is filtered to, named (null: none, or one the reader may not see). */
      pupil: filters.pupilId ? (records.get(`pupil:${filters.pupilId}`) ?? null) : null,
      nextBefore: found.length > auditPageSize ? found[auditPageSize - 1]!.id : null,
      users,
      actions: actionChoices(deps.auditActionLabels),
    };
  });
}

/** The filter form's choices alone, to show a refused filter again (I4); no entry is read. */
export async function filterChoices(deps: AuditLogDeps, actor: Actor) {
  const staff = assertStaff(actor, 'audit.read');
  const users = await deps.db.withActor(staff, (trx) => deps.people.schoolPeople(trx, staff.schoolId));
  return { users, actions: actionChoices(deps.auditActionLabels) };
}

/** A person's own recent sign-in activity, for their account page. */
export async function ownSignInActivity(db: Database, actor: Actor) {
  const userId = actorUserId(actor);
  if (!userId) return [];
  return db.withActor(actor, (trx) => queries.recentAuthEvents(trx, userId, 10));
}
