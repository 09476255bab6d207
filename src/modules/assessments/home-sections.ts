import type { Router } from 'express';
import type { AppDeps } from '../../http/deps.js';
import { can } from '../../policy/index.js';
import { type HomeSection, homeRoutes } from '../pupils/index.js';
import { academicYearOf, defaultTermDates } from './defaults.js';
import { dslOverview } from './dsl-overview.js';
import { loadTerms, termLabel } from './frameworks-service.js';

/** The DSL's and head's lists (dsl-overview.ts), for those the policy allows. */
const dslSection: HomeSection = async (db, staff) =>
  can(staff, 'safeguarding.overview') ? { overview: await dslOverview(db, staff) } : {};

/**
 * The term-dates step of a new school's checklist (pupils shows the others): this year's terms,
 * and whether they are still Waypoint's defaults, for the school admin who sets them.
 */
const termsSection: HomeSection = async (db, staff) => {
  if (!can(staff, 'framework.manage')) return {};
  const year = academicYearOf(new Date());
  const terms = (await db.withActor(staff, (trx) => loadTerms(trx, staff.schoolId))).filter(
    (t) => t.academic_year === year,
  );
  const defaults = defaultTermDates(year);
  const unchanged = defaults.every((d) =>
    terms.some((t) => t.name === d.name && t.starts_on === d.starts_on && t.ends_on === d.ends_on),
  );
  return { termDates: { changed: !unchanged, terms: terms.map((t) => ({ ...t, label: termLabel(t) })) } };
};

/** The home page with assessments' sections; pupils owns the page and cannot import them. */
export const homeWithAssessments = (deps: AppDeps): Router => homeRoutes(deps, [dslSection, termsSection]);
