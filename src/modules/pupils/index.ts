// The pupils module's only public surface. Other modules import this file and nothing else of pupils.
import type { Actor } from '../../policy/index.js';
import type { WaypointModule } from '../../http/module.js';
import { pupilsAuditActions } from './audit-actions.js';
import { groupRoutes } from './group-routes.js';
import { importRoutes } from './import-routes.js';
import { pupilListRoutes } from './list-routes.js';
import { pupilRecordNames } from './record-names.js';
import { staffGroups } from './staff-groups.js';

// --- Services other modules call, with their own transaction (add exports here) ---
export { cohortFlagsCtes } from './cohort.js';
export { createInterventionGroup, interventionGroupSummaries } from './intervention-groups.js';

// Scoped pupil and group loaders (assessments), the FSM rules in SQL for aggregates.
export { loadPupilForStaff, pupilCountsBySchool, pupilsOfSchool, linkedPupils, pupilNames } from './pupil-access.js';
export { similarPupils } from './pupil-access.js';
export type { LinkedPupil, PupilName } from './pupil-access.js';
export {
  groupIdsOf,
  loadGroupForStaff,
  openableGroupIds,
  visibleGroupMembers,
  groupWithPupils,
} from './group-access.js';
export type { GroupPupil, GroupStaff } from './group-access.js';
export { fsmEligibleInLastSixYears, fsmEligibleNow, type PupilListItem } from './queries.js';
export { pupilMarkers, type PupilMarkers } from './queries.js';
export { applyPupilScope, type ScopeFacts } from './scope.js';
// The pupils' part of the provision map (assessments adds scores and interventions), and CSV (I3).
export { provisionPupils, type ProvisionPupil } from './provision-rows.js';
export { toCsv } from './csv.js';
// The school's year groups (its phase and pupils) for other modules' filters.
export { yearGroupChoices } from './school-order.js';

// Pages a higher module mounts with its own part in them: the pupil pages with profile sections
// (assessments' progress), and the class page's forms with assessments' class page.
export { pupilPages } from './pupil-pages.js';
export type { ProfileSection } from './profile-page.js';
// The staff home page, with a higher module's sections (assessments' DSL lists and term dates).
export { homeRoutes, type HomeSection } from './home-routes.js';
export { candidates, staffOptions } from './group-service.js';
export { type ClassPage, groupMemberRoutes, kindLabels } from './group-routes.js';
export { groupAddFields, groupAddQuery, groupPageQuery } from './schemas.js';

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
  // The home page, the pupil pages (/pupils/:id…) and the class page are mounted by assessments, which
  // adds its sections; assessments comes later, so /pupils/import is matched before /pupils/:id.
  routers: (deps) => [importRoutes(deps), pupilListRoutes(deps), groupRoutes(deps)],
  navigation: [
    { href: '/', label: 'Home', order: 10, show: staffOnly },
    { href: '/pupils', label: 'Pupils', order: 20, action: 'pupil.list', show: staffOnly },
  ],
  auditActions: pupilsAuditActions,
  uploadPaths: ['/pupils/import'],
  staffGroups,
  // The audit log names pupil records (for those who may see them) and filters by pupil.
  recordNames: { pupil: pupilRecordNames },
};
