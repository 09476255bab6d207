import type { auditModuleActions } from './audit-actions.js';

/**
 * Which actions each module may write, by module name. Each module adds its own key from its
 * `audit-actions.ts`, by augmenting this interface through `declare module '../audit/index.js'`,
 * so `record()` accepts exactly the actions some module declares: a typo'd action does not
 * type-check, and the audit page has a label for every row.
 */
export interface AuditActionRegistry {
  audit: keyof typeof auditModuleActions;
}

export type AuditAction = AuditActionRegistry[keyof AuditActionRegistry];

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

export interface AuditFilters {
  userId?: string | undefined;
  action?: string | undefined;
  /** Entries about one pupil's record. */
  pupilId?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  before?: number | undefined;
}
