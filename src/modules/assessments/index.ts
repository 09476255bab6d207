// The assessments module's only public surface. Other modules import this file and nothing else of assessments.

// --- Services other modules call, with their own transaction (add exports here) ---
// Setting up a new school (tenancy's onboarding), inside the caller's transaction.
export { provisionSchool, termLabel } from './frameworks-service.js';
// The school's safeguarding prompt rules (P16), which tenancy's settings store.
export { type ConcernRules, defaultConcernRules, parseRules } from './concerns.js';
// The class page and the profile's assessment history, with their charts.
export { classOverview, pupilHistory } from './analysis-service.js';
export { lineChart } from './charts.js';

// --- The module description app.ts loops over ---
