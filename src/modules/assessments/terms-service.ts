import type { Database } from '../../db/index.js';
import { ukDate } from '../../lib/dates.js';
import { type Actor, assertStaff } from '../../policy/index.js';
import { NotFound } from '../../errors.js';
import * as audit from '../audit/index.js';
import { insertTerms } from './defaults.js';
import { type Term, termLabel } from './frameworks-service.js';

/** The school admin's term dates: changing a term's dates, adding an academic year's terms. */

export type TermDates = { starts_on: string; ends_on: string };
export type TermChange = { ok: true } | { ok: false; errors: Partial<Record<keyof TermDates, string>> };

/**
 * New dates for a term. A term stays inside its academic year (1 September to 31 August), does not
 * overlap another term, keeps Autumn, Spring and Summer in order, and still holds the dates of the
 * assessments already recorded in it; otherwise nothing changes and the errors say why.
 */
export async function updateTerm(db: Database, actor: Actor, termId: string, dates: TermDates): Promise<TermChange> {
  const staff = assertStaff(actor, 'framework.manage');
  return db.withActor(staff, async (trx) => {
    const terms = (await trx('terms')
      .where({ school_id: staff.schoolId })
      .select('id', 'academic_year', 'name', 'sequence', 'starts_on', 'ends_on')
      .forUpdate()) as Term[];
    const term = terms.find((t) => t.id === termId);
    if (!term) throw new NotFound('term');
    const errors: Partial<Record<keyof TermDates, string>> = {};
    const yearStart = `${term.academic_year}-09-01`;
    const yearEnd = `${term.academic_year + 1}-08-31`;
    const year = `${term.academic_year}/${String((term.academic_year + 1) % 100).padStart(2, '0')}`;
    if (dates.starts_on < yearStart || dates.starts_on > yearEnd)
      errors.starts_on = `The first day must be in the ${year} academic year (${ukDate(yearStart)} to ${ukDate(yearEnd)})`;
    if (dates.ends_on < yearStart || dates.ends_on > yearEnd)
      errors.ends_on = `The last day must be in the ${year} academic year (${ukDate(yearStart)} to ${ukDate(yearEnd)})`;
    for (const other of terms) {
      if (other.id === term.id || errors.starts_on || errors.ends_on) continue;
      const overlaps = dates.starts_on <= other.ends_on && dates.ends_on >= other.starts_on;
      const outOfOrder =
        other.academic_year === term.academic_year &&
        (other.sequence < term.sequence ? other.ends_on >= dates.starts_on : other.starts_on <= dates.ends_on);
      if (overlaps || outOfOrder) {
        const message = `${termLabel(term)} would ${overlaps ? 'overlap' : 'come out of order with'} ${termLabel(other)} (${ukDate(other.starts_on)} to ${ukDate(other.ends_on)})`;
        if (other.sequence < term.sequence) errors.starts_on = message;
        else errors.ends_on = message;
      }
    }
    if (!errors.starts_on && !errors.ends_on) {
      const outside = await trx('assessment_scores')
        .where({ school_id: staff.schoolId, term_id: termId })
        .where((q) => q.where('assessed_on', '<', dates.starts_on).orWhere('assessed_on', '>', dates.ends_on))
        .select(
          trx.raw('count(*)::int as n'),
          trx.raw('min(assessed_on) as first'),
          trx.raw('max(assessed_on) as last'),
        )
        .first();
      if (outside.n > 0) {
        errors.starts_on = `${outside.n} assessment${outside.n === 1 ? ' is' : 's are'} already recorded in this term between ${ukDate(outside.first)} and ${ukDate(outside.last)}; the term must still include those dates`;
      }
    }
    if (errors.starts_on || errors.ends_on) return { ok: false, errors };
    await trx('terms').where({ id: termId, school_id: staff.schoolId }).update(dates);
    await audit.record(trx, staff, {
      action: 'term.updated',
      entityType: 'term',
      entityId: termId,
      fields: ['starts_on', 'ends_on'],
    });
    return { ok: true };
  });
}

export async function addAcademicYear(db: Database, actor: Actor, academicYear: number): Promise<void> {
  const staff = assertStaff(actor, 'framework.manage');
  await db.withActor(staff, async (trx) => {
    await insertTerms(trx, staff.schoolId, academicYear);
    await audit.record(trx, staff, {
      action: 'term.updated',
      entityType: 'school',
      entityId: staff.schoolId,
      meta: { academic_year: academicYear },
    });
  });
}
