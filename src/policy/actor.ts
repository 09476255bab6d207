/** Who is acting. Built fresh from the database on every request, so role changes apply at once (A3). */

export const schoolRoles = ['school_admin', 'head', 'dsl', 'senco', 'teacher', 'teaching_assistant'] as const;
export const trustRoles = ['trust_admin', 'trust_analyst'] as const;
export const laRoles = ['la_officer'] as const;
export const allRoles = [...schoolRoles, ...trustRoles, ...laRoles, 'operator_admin'] as const;

export type SchoolRole = (typeof schoolRoles)[number];
export type TrustRole = (typeof trustRoles)[number];
export type LaRole = (typeof laRoles)[number];
export type Role = (typeof allRoles)[number];

export const roleLabels: Record<Role, string> = {
  school_admin: 'School admin (DPO tools)',
  head: 'Head / SLT',
  dsl: 'Designated safeguarding lead',
  senco: 'SENCo',
  teacher: 'Teacher',
  teaching_assistant: 'Teaching assistant',
  trust_admin: 'Trust admin',
  trust_analyst: 'Trust analyst',
  la_officer: 'Local authority officer',
  operator_admin: 'Operator admin',
};

/** Where a request came from: written into audit rows. Never includes credentials. */
export interface RequestMeta {
  ip?: string | undefined;
  requestId?: string | undefined;
}

interface Base {
  meta: RequestMeta;
}

export interface StaffActor extends Base {
  kind: 'staff';
  userId: string;
  schoolId: string;
  roles: SchoolRole[];
}

export interface TrustActor extends Base {
  kind: 'trust';
  userId: string;
  orgId: string;
  roles: TrustRole[];
}

export interface LaActor extends Base {
  kind: 'la';
  userId: string;
  orgId: string;
  roles: LaRole[];
}

export interface OperatorActor extends Base {
  kind: 'operator';
  userId: string;
}

export interface ParentActor extends Base {
  kind: 'parent';
  userId: string;
}

/** A signed-in user before they choose where to work: may read only their own records. */
export interface SelfActor extends Base {
  kind: 'self';
  userId: string;
}

/** The application itself: sign-in before a user is known, scheduled jobs, the demo seed. */
export interface SystemActor extends Base {
  kind: 'system';
  purpose: 'auth' | 'job' | 'seed' | 'test';
  schoolId?: string;
}

export type Actor = StaffActor | TrustActor | LaActor | OperatorActor | ParentActor | SelfActor | SystemActor;
export type UserActor = Exclude<Actor, SystemActor>;

export function systemActor(purpose: SystemActor['purpose'], meta: RequestMeta = {}, schoolId?: string): SystemActor {
  return schoolId ? { kind: 'system', purpose, meta, schoolId } : { kind: 'system', purpose, meta };
}

export function actorUserId(actor: Actor): string | null {
  return actor.kind === 'system' ? null : actor.userId;
}

export function actorSchoolId(actor: Actor): string | null {
  return actor.kind === 'staff' ? actor.schoolId : actor.kind === 'system' ? (actor.schoolId ?? null) : null;
}

export function actorOrgId(actor: Actor): string | null {
  return actor.kind === 'trust' || actor.kind === 'la' ? actor.orgId : null;
}

export function hasRole(actor: Actor, ...roles: Role[]): boolean {
  return 'roles' in actor && (actor.roles as readonly Role[]).some((r) => roles.includes(r));
}
