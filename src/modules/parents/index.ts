// The parents module's only public surface. Other modules import this file and nothing else of parents.
import type { WaypointModule } from '../../http/module.js';
import { parentRoutes } from './routes.js';

// --- Services other modules call, with their own transaction (add exports here) ---
// None yet: the parent portal is used by parents, not by other modules.

// --- The module description app.ts loops over ---
export const parentsModule: WaypointModule = {
  name: 'parents',
  tables: ['parent_links'],
  routers: (deps) => [parentRoutes(deps)],
  navigation: [{ href: '/parent', label: 'Your children', order: 100, action: 'parent.portal' }],
  auditActions: {},
};
