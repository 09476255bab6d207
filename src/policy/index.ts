import type { Actor, SchoolRole, StaffActor } from './actor.js';
import { type Action, type Grant, matrix, recordChangingActions, wholeSchoolRoles } from './matrix.js';

export * from './actor.js';
export type { Action } from './matrix.js';

/** The policy said no. Handlers turn this into a 403 page, and the denial is audited. */
export class PolicyDenied extends Error {
  constructor(
    readonly action: Action,
    readonly reason = 'not permitted',
  ) {
    super(`Denied: ${action} (${reason})`);
    this.name = 'PolicyDenied';
  }
}

/**
 * The facts a check may need about what it is about. Services load them (scoped loaders) and pass
 * them in; the policy alone decides. Facts left out are not checked.
 */
export interface Resource {
  /** Ties the check to a tenant: staff of another school are refused. */
  schoolId?: string;
  /** The pupil's record is restricted (P29): read-only for everyone, and never shared. */
  restricted?: boolean;
  /** The organisation already has an admin who has set up their account (P1). */
  orgHasActiveAdmin?: boolean;
  /** Who wrote the record (a note: only its author may change it, and may always read it). */
  authorId?: string;
  /** A note's sensitivity: the text of a restricted note is for the DSL, head, admin and author. */
  sensitivity?: 'standard' | 'restricted';
  /** The roles a framework says may record it (assessment.record). */
  recordedBy?: readonly SchoolRole[];
  /** A group being opened: who works with it now, and whether it is archived (group.read). */
  group?: { staffIds: readonly string[]; archived: boolean };
  /** Whether the school shares pupil-level data with the trust or LA asking (P2, P3). */
  sharesWithActor?: boolean;
}

const writeActions = new Set<Action>(recordChangingActions);

function grantAllows(grant: Grant, actor: Actor): boolean {
  if (grant.anyone && actor.kind !== 'system') return true;
  switch (actor.kind) {
    case 'staff':
      return !!grant.staff?.some((r) => actor.roles.includes(r));
    case 'trust':
      return !!grant.trust?.some((r) => actor.roles.includes(r));
    case 'la':
      return !!grant.la?.some((r) => actor.roles.includes(r));
    case 'operator':
      return !!grant.operator;
    case 'parent':
      return !!grant.parent;
    default:
      return false;
  }
}

/** May this actor do this action (to this resource)? Pure: no I/O. */
export function can(actor: Actor, action: Action, resource: Resource = {}): boolean {
  return denialReason(actor, action, resource) === null;
}

const wholeSchool = new Set<string>(wholeSchoolRoles);
const seesWholeSchool = (actor: StaffActor) => actor.roles.some((r) => wholeSchool.has(r));
const isAuthor = (actor: Actor, resource: Resource) =>
  actor.kind === 'staff' && resource.authorId !== undefined && resource.authorId === actor.userId;
const isSharedReader = (actor: Actor) => actor.kind === 'trust' || actor.kind === 'la';

/** Why the policy refuses, or null when it allows. The reasons are for logs and tests, not users. */
function denialReason(actor: Actor, action: Action, resource: Resource): string | null {
  if (!grantAllows(matrix[action], actor)) return 'role';
  if (resource.schoolId && actor.kind === 'staff' && resource.schoolId !== actor.schoolId) return 'other school';
  if (resource.restricted && writeActions.has(action)) return 'restricted record is read-only';
  if (resource.restricted && isSharedReader(actor)) return 'restricted record is not shared';
  if (resource.sharesWithActor === false && isSharedReader(actor))
    return 'school does not share with this organisation';
  if (action === 'operator.invite_first_admin' && resource.orgHasActiveAdmin !== false)
    return 'the organisation has an active admin';
  if (action === 'note.edit' && !isAuthor(actor, resource)) return 'only the author may change a note';
  if (
    action === 'note.read' &&
    resource.sensitivity === 'restricted' &&
    !isAuthor(actor, resource) &&
    !grantAllows(matrix['note.read_restricted'], actor)
  )
    return 'restricted note text is for the DSL, head, admin and author';
  if (action === 'assessment.record' && resource.recordedBy && actor.kind === 'staff') {
    const recorders = resource.recordedBy;
    if (!actor.roles.some((r) => recorders.includes(r))) return 'framework not recordable by this role';
  }
  if (resource.group && actor.kind === 'staff' && !seesWholeSchool(actor)) {
    // Staff who do not see the whole school open only the current groups they work with.
    if (resource.group.archived) return 'group is archived';
    if (!resource.group.staffIds.includes(actor.userId)) return 'not assigned to this group';
  }
  return null;
}

/** Throws PolicyDenied unless can(). */
export function assert(actor: Actor, action: Action, resource: Resource = {}): void {
  const reason = denialReason(actor, action, resource);
  if (reason !== null) throw new PolicyDenied(action, reason);
}

/** Narrows an actor to staff after a successful assert of a staff-only action. */
export function assertStaff(actor: Actor, action: Action, resource: Resource = {}): StaffActor {
  assert(actor, action, resource);
  if (actor.kind !== 'staff') throw new PolicyDenied(action, 'staff only');
  return actor;
}

/** Which pupil rows an actor may see. Queries apply it; RLS applies the same rule again. */
export type PupilScope =
  | { kind: 'school'; schoolId: string }
  | { kind: 'taught'; schoolId: string; userId: string }
  | { kind: 'shared'; orgId: string; via: 'trust' | 'la' }
  | { kind: 'parent'; userId: string }
  | { kind: 'none' };

export function pupilScope(actor: Actor): PupilScope {
  switch (actor.kind) {
    case 'staff':
      if (seesWholeSchool(actor)) return { kind: 'school', schoolId: actor.schoolId };
      if (actor.roles.length) return { kind: 'taught', schoolId: actor.schoolId, userId: actor.userId };
      return { kind: 'none' };
    case 'trust':
      return { kind: 'shared', orgId: actor.orgId, via: 'trust' };
    case 'la':
      return { kind: 'shared', orgId: actor.orgId, via: 'la' };
    case 'parent':
      return { kind: 'parent', userId: actor.userId };
    default:
      return { kind: 'none' };
  }
}

export const policy = { can, assert, assertStaff, pupilScope };
