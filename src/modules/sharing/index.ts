// The sharing module's only public surface. Other modules import this file and nothing else of sharing.
import type { WaypointModule } from '../../http/module.js';
import { sharingRoutes } from './routes.js';
import { sharingAuditActions } from './audit-actions.js';

// --- Services other modules call, with their own transaction (add exports here) ---
// None yet: the trust/LA portal is used by people, not by other modules.

// --- The module description app.ts loops over ---
export const sharingModule: WaypointModule = {
  name: 'sharing',
  // Reads pupils through the pupils module; the schools' sharing switches are tenancy's settings.
  tables: [],
  routers: (deps) => [sharingRoutes(deps)],
  navigation: [{ href: '/trust', label: 'Schools', order: 80, action: 'trust.overview' }],
  auditActions: sharingAuditActions,
};
