// The tenancy module's only public surface. Other modules import this file and nothing else of tenancy.
import type { WaypointModule } from '../../http/module.js';
import { adminRoutes } from './admin-routes.js';
import { tenancyAuditActions } from './audit-actions.js';
import { authRoutes } from './auth-routes.js';
import { operatorRoutes } from './operator-routes.js';

// --- Services other modules call, with their own transaction (add exports here) ---
export { type ConcernRules, defaultConcernRules, parseConcernRules } from './concern-rules.js';
export * as directory from './directory.js';
export type { PersonName, SafeguardingSettings, SchoolSharing, SharingVia } from './directory.js';

// --- The module description app.ts loops over ---
export const tenancyModule: WaypointModule = {
  name: 'tenancy',
  tables: [
    'organisations',
    'users',
    'memberships',
    'school_settings',
    'invitations',
    'admin_change_requests',
    'auth_tokens',
    'auth_known_sources',
    'auth_failures',
    // connect-pg-simple's session store (src/http/session.ts names it; tenancy's code reads it).
    'session',
  ],
  routers: (deps) => [authRoutes(deps), adminRoutes(deps), operatorRoutes(deps)],
  navigation: [
    { href: '/staff', label: 'Staff', order: 50, action: 'staff.read' },
    { href: '/settings', label: 'Settings', order: 60, action: 'settings.manage' },
    { href: '/operator', label: 'Organisations', order: 90, action: 'operator.organisations' },
    { href: '/account', label: 'Your account', order: 110 },
  ],
  auditActions: tenancyAuditActions,
};

// What app.ts wires into the kernel: the password hasher, the session loader (current-actor.ts)
// and the people directory the audit log shows names from.
export { PasswordHasher } from './passwords.js';
export { loadSession, readSession, recordExpiry } from './session-service.js';
export { peopleDirectory } from './directory-for-audit.js';
