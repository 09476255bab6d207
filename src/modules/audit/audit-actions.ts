/**
 * The audit module's own actions (denials anywhere, reading the log, system events), with the words
 * the audit page shows. Every module keeps its actions in its own `audit-actions.ts` like this one.
 */
export const auditModuleActions = {
  'access.denied': 'Access denied',
  'audit.viewed': 'Viewed the audit log',
  'system.demo_seeded': 'Demo data created',
} as const;
