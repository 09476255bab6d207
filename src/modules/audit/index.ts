// The audit module's only public surface. Other modules import this file and nothing else of audit.
import type { WaypointModule } from '../../http/module.js';
import { auditModuleActions } from './audit-actions.js';
import { auditRoutes } from './routes.js';

// --- Services other modules call, with their own transaction (add exports here) ---
export { record, recordRead, recordAlone, recordDenial, ownSignInActivity } from './service.js';
export type { AuditAction, AuditActionRegistry, AuditEntry } from './types.js';

// --- The module description app.ts loops over ---
export const auditModule: WaypointModule = {
  name: 'audit',
  tables: ['audit_events'],
  routers: (deps) => [auditRoutes(deps)],
  navigation: [{ href: '/audit', label: 'Audit log', order: 70, action: 'audit.read' }],
  auditActions: auditModuleActions,
};
