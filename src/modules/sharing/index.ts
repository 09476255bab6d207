// The sharing module's only public surface. Other modules import this file and nothing else of sharing.
import type { WaypointModule } from '../../http/module.js';
import { sharingAuditActions } from './audit-actions.js';

// --- Services other modules call, with their own transaction (add exports here) ---

// --- The module description app.ts loops over ---
export const sharingModule: WaypointModule = {
  name: 'sharing',
  // Reads pupils through the pupils module; the schools' sharing switches are tenancy's settings.
  tables: [],
  // The trust/LA pages move here from pupils/routes.ts; until then pupils serves /trust.
  routers: () => [],
  navigation: [{ href: '/trust', label: 'Schools', order: 80, action: 'trust.overview' }],
  auditActions: sharingAuditActions,
};
