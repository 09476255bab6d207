import pg from 'pg';
import { type Actor, actorOrgId, actorSchoolId, actorUserId } from '../policy/actor.js';
import { wholeSchoolRoles } from '../policy/matrix.js';

/*
 * What a transaction's BEGIN carries, as literal SQL (BEGIN travels as one simple-protocol message,
 * which has no parameters): the actor's settings, the pupils a teacher works with, and planner
 * settings. Every value is checked against a fixed shape before it is inlined.
 */

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const settingPattern = /^[a-z_,]*$/;

export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}

export function actorSettings(actor: Actor): [string, string, string, string, string] {
  const roles = 'roles' in actor ? actor.roles.join(',') : '';
  return [actorUserId(actor) ?? '', actor.kind, actorSchoolId(actor) ?? '', actorOrgId(actor) ?? '', roles];
}

/** The actor's settings as literal SQL; every value is a UUID, a kind or a list of role names. */
export function setActorLiteralSql(actor: Actor): string {
  const values = actorSettings(actor);
  for (const v of values)
    if (!(v === '' || uuidPattern.test(v) || settingPattern.test(v))) throw new TypeError('unexpected actor setting');
  const [userId, kind, schoolId, orgId, roles] = values.map((v) => pg.escapeLiteral(v));
  return `select set_config('app.user_id', ${userId}, true), set_config('app.kind', ${kind}, true),
  set_config('app.school_id', ${schoolId}, true), set_config('app.org_id', ${orgId}, true), set_config('app.roles', ${roles}, true)`;
}

const wholeSchool = new Set<string>(wholeSchoolRoles);

/**
 * For a teacher or teaching assistant, the pupils they work with, computed once for the whole
 * transaction (migration 0012): the policies read `app.taught_pupils` instead of joining the groups
 * again in every statement. `app.taught_for` names whom it was computed for, so the set is used only
 * while the actor is the same (asSystem switches actor and back); a change to groups, their staff or
 * members in the transaction clears it (a trigger), and the next statement computes it afresh.
 * Whole-school roles see every pupil of the school, so they need no set.
 */
function taughtPupilsSql(actor: Actor): string | null {
  if (actor.kind !== 'staff' || actor.roles.some((r) => wholeSchool.has(r))) return null;
  if (!uuidPattern.test(actor.userId) || !uuidPattern.test(actor.schoolId)) throw new TypeError('unexpected actor');
  const taughtFor = pg.escapeLiteral(`${actor.userId}/${actor.schoolId}`);
  return `select set_config('app.taught_pupils', app_taught_pupil_ids()::text, true), set_config('app.taught_for', ${taughtFor}, true)`;
}

/**
 * Planner settings a transaction may ask for (for this transaction only), e.g. a dashboard that reads
 * whole terms, where row-level security hides row counts from the planner.
 */
export type PlannerSettings = Partial<Record<'enable_nestloop' | 'enable_sort' | 'enable_seqscan', 'on' | 'off'>>;
const plannerNames = new Set(['enable_nestloop', 'enable_sort', 'enable_seqscan']);

function plannerSql(planner: PlannerSettings): string | null {
  const entries = Object.entries(planner);
  if (!entries.length) return null;
  for (const [name, value] of entries)
    if (!plannerNames.has(name) || (value !== 'on' && value !== 'off'))
      throw new TypeError('unexpected planner setting');
  return `select ${entries.map(([name, value]) => `set_config(${pg.escapeLiteral(name)}, ${pg.escapeLiteral(value!)}, true)`).join(', ')}`;
}

/** Everything BEGIN carries for `actor`: its settings, a teacher's pupils, and planner settings. */
export function actorPreludeSql(actor: Actor, planner: PlannerSettings = {}): string {
  return [setActorLiteralSql(actor), taughtPupilsSql(actor), plannerSql(planner)].filter(Boolean).join('; ');
}
