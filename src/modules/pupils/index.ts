// The pupils module's only public surface. Other modules import this file and nothing else of pupils.

// --- Services other modules call, with their own transaction (add exports here) ---
// Added by the policy/assessments helper, pointing at today's files (re-point after the restructure):
export { groupIdsOf, loadGroupForStaff, loadPupilForStaff, visibleGroupMembers } from './service.js';
export { cohortFlagsCtes } from './cohort.js';
export { createInterventionGroup, interventionGroupSummaries } from './intervention-groups.js';

// --- The module description app.ts loops over ---
