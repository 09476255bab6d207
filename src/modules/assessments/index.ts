// The assessments module's only public surface. Other modules import this file and nothing else of assessments.
import type { WaypointModule } from '../../http/module.js';
import { analysisRoutes } from './analysis-routes.js';
import { classRoutes } from './class-routes.js';
import { assessmentsAuditActions } from './audit-actions.js';
import { entryRoutes } from './entry-routes.js';
import { frameworkRoutes } from './framework-routes.js';
import { notesRoutes } from './notes-routes.js';
import { onOrganisationCreated } from './on-organisation-created.js';
import { homeWithAssessments } from './home-sections.js';
import { provisionMapRoutes } from './provision-map-routes.js';
import { pupilPagesWithProgress } from './pupil-pages.js';

// --- Services other modules call, with their own transaction (add exports here) ---
// Setting up a new school (tenancy's onboarding), inside the caller's transaction.
export { provisionSchool, termLabel } from './frameworks-service.js';
// The class page and the profile's assessment history, with their charts.
export { classOverview, pupilHistory } from './analysis-service.js';
export { lineChart } from './charts.js';

// --- The module description app.ts loops over ---
export const assessmentsModule: WaypointModule = {
  name: 'assessments',
  tables: [
    'frameworks',
    'framework_items',
    'framework_levels',
    'terms',
    'assessment_scores',
    'observations',
    'notes',
    'note_bodies',
    'interventions',
    'intervention_targets',
  ],
  // The home page, the pupil pages and the class page are pupils' pages with assessments' sections
  // (home-sections.ts, pupil-pages.ts, class-routes.ts): pupils sits below and cannot import them. The
  // provision map (provision-map-routes.ts) is pupils' records with this module's scores and interventions.
  routers: (deps) => [
    homeWithAssessments(deps),
    pupilPagesWithProgress(deps),
    classRoutes(deps),
    entryRoutes(deps),
    notesRoutes(deps),
    analysisRoutes(deps),
    provisionMapRoutes(deps),
    frameworkRoutes(deps),
  ],
  navigation: [
    { href: '/interventions', label: 'Interventions', order: 30, action: 'intervention.read' },
    { href: '/dashboard', label: 'Dashboard', order: 40, action: 'dashboard.school' },
  ],
  auditActions: assessmentsAuditActions,
  // A new school starts with Waypoint's default frameworks and this year's terms.
  onOrganisationCreated,
};
