// The parents module's only public surface. Other modules import this file and nothing else of parents.
import type { WaypointModule } from '../../http/module.js';

// --- Services other modules call, with their own transaction (add exports here) ---

// --- The module description app.ts loops over ---
export const parentsModule: WaypointModule = {
  name: 'parents',
  tables: ['parent_links'],
  // The parent pages move here from pupils/routes.ts; until then pupils serves /parent.
  routers: () => [],
  navigation: [{ href: '/parent', label: 'Your children', order: 100, action: 'parent.portal' }],
  auditActions: {},
};
