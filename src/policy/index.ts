import type { Actor, StaffActor } from './actor.js';
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

/** What a check may be about. schoolId ties it to a tenant; restricted marks P29 records. */
export interface Resource {
  schoolId?: string;
  restricted?: boolean;
  /** The organisation already has an admin who has set up their account (P1). */
  orgHasActiveAdmin?: boolean;
  /** Who wrote the record (a note: only its author may change it). */
  authorId?: string;
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

function denialReason(actor: Actor, action: Action, resource: Resource): string | null {
  if (!grantAllows(matrix[action], actor)) return 'role';
  if (resource.schoolId && actor.kind === 'staff' && resource.schoolId !== actor.schoolId) return 'other school';
  if (resource.restricted && writeActions.has(action)) return 'restricted record is read-only';
  if (action === 'operator.invite_first_admin' && resource.orgHasActiveAdmin !== false)
    return 'the organisation has an active admin';
  if (action === 'note.edit' && (actor.kind !== 'staff' || resource.authorId !== actor.userId))
    return 'only the author may change a note';
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

const wholeSchool = new Set<string>(wholeSchoolRoles);

export function pupilScope(actor: Actor): PupilScope {
  switch (actor.kind) {
    case 'staff':
      if (actor.roles.some((r) => wholeSchool.has(r))) return { kind: 'school', schoolId: actor.schoolId };
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
