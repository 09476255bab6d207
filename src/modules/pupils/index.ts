// The pupils module's only public surface. Other modules import this file and nothing else of pupils.
import type { Actor } from '../../policy/index.js';
import type { WaypointModule } from '../../http/module.js';
import { pupilsAuditActions } from './audit-actions.js';
import { groupRoutes } from './group-routes.js';
import { importRoutes } from './import-routes.js';
import { pupilRecordRoutes } from './pupil-routes.js';
import { pupilRoutes } from './routes.js';
import { staffGroups } from './staff-groups.js';

// --- Services other modules call, with their own transaction (add exports here) ---
// Added by the policy/assessments helper, pointing at today's files (re-point after the restructure):
export { groupIdsOf, loadGroupForStaff, loadPupilForStaff, visibleGroupMembers } from './service.js';
export { cohortFlagsCtes } from './cohort.js';
export { createInterventionGroup, interventionGroupSummaries } from './intervention-groups.js';

// --- The module description app.ts loops over ---
// Home and the pupil list are for school staff only, even where a trust role holds the same grant.
const staffOnly = (actor: Actor) => actor.kind === 'staff';

export const pupilsModule: WaypointModule = {
  name: 'pupils',
  tables: [
    'pupils',
    'pupil_contacts',
    'pupil_fsm_periods',
    'pupil_support_flags',
    'pupil_history',
    'support_flags',
    'groups',
    'group_members',
    'group_staff',
    'import_files',
  ],
  // In this order: the import's /pupils/import paths come before the record's /pupils/:id ones.
  routers: (deps) => [pupilRoutes(deps), importRoutes(deps), pupilRecordRoutes(deps), groupRoutes(deps)],
  navigation: [
    { href: '/', label: 'Home', order: 10, show: staffOnly },
    { href: '/pupils', label: 'Pupils', order: 20, action: 'pupil.list', show: staffOnly },
  ],
  auditActions: pupilsAuditActions,
  uploadPaths: ['/pupils/import'],
  staffGroups,
};
