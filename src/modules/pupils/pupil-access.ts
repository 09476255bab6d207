import type { Tx } from '../../db/index.js';
import { type Actor, assert, assertStaff, pupilScope, type StaffActor } from '../../policy/index.js';
import { NotFound } from '../../errors.js';
import { onRoll, pupilColumns, type PupilListItem } from './queries.js';
import { applyPupilScope } from './scope.js';

/**
 * Scoped pupil reads in the caller's transaction, for other modules: staff (assessments), a trust
 * or LA (sharing) and a parent (parents). The policy's pupil scope applies, and RLS again.
 */

/** One pupil as this member of staff may see them (404 otherwise), inside the caller's transaction. */
export async function loadPupilForStaff(trx: Tx, staff: StaffActor, pupilId: string) {
  assertStaff(staff, 'pupil.read');
  const pupil = (await applyPupilScope(trx('pupils as p').where('p.id', pupilId), pupilScope(staff)).first([
    ...pupilColumns,
    'p.restricted_at',
    'p.sen_status',
    'p.leaving_date',
  ])) as (PupilListItem & { restricted_at: Date | null; sen_status: string; leaving_date: string | null }) | undefined;
  if (!pupil) throw new NotFound('pupil');
  return pupil;
}

/** How many pupils (not left) the actor sees in each school, by school id: a trust's or LA's counts. */
export async function pupilCountsBySchool(trx: Tx, actor: Actor): Promise<Map<string, number>> {
  assert(actor, 'trust.overview');
  const counts: { school_id: string; n: number }[] = await applyPupilScope(trx('pupils as p'), pupilScope(actor))
    .whereNull('p.leaving_date')
    .groupBy('p.school_id')
    .select('p.school_id', trx.raw('count(*)::int as n'));
  return new Map(counts.map((c) => [c.school_id, c.n]));
}

/** One school's pupils (not left) as the actor may see them, by year group and name. */
export async function pupilsOfSchool(trx: Tx, actor: Actor, schoolId: string): Promise<PupilListItem[]> {
  assert(actor, 'pupil.list');
  return applyPupilScope(trx('pupils as p'), pupilScope(actor))
    .where('p.school_id', schoolId)
    .whereNull('p.leaving_date')
    .select(pupilColumns)
    .orderByRaw('year_group_rank(p.year_group), p.surname, p.legal_forename');
}

export interface LinkedPupil {
  id: string;
  preferred_forename: string | null;
  legal_forename: string;
  surname: string;
  year_group: string;
  school_id: string;
}

/**
 * A parent's children, given the pupil ids the parents module found linked to them (parent_links
 * is theirs, and pupils sits below parents). The parent scope still applies, and RLS again.
 */
export async function linkedPupils(trx: Tx, actor: Actor, linkedPupilIds: readonly string[]): Promise<LinkedPupil[]> {
  assert(actor, 'parent.portal');
  return applyPupilScope(trx('pupils as p'), pupilScope(actor), 'p', { parentPupilIds: linkedPupilIds })
    .select('p.id', 'p.preferred_forename', 'p.legal_forename', 'p.surname', 'p.year_group', 'p.school_id')
    .orderBy('p.legal_forename');
}

/**
 * Pupils on roll in these year groups that this member of staff may see, leaving out restricted
 * records (P29) and the given pupils: the comparison group for an intervention's impact (assessments).
 */
export async function similarPupils(
  trx: Tx,
  staff: StaffActor,
  yearGroups: readonly string[],
  excludeIds: readonly string[],
): Promise<string[]> {
  assertStaff(staff, 'pupil.list');
  if (!yearGroups.length) return [];
  return applyPupilScope(trx('pupils as p'), pupilScope(staff))
    .where('p.school_id', staff.schoolId)
    .whereIn('p.year_group', yearGroups)
    .whereNotIn('p.id', excludeIds)
    .whereNull('p.restricted_at')
    .whereRaw(onRoll)
    .pluck('p.id');
}

/** A pupil as another module's list names them (the audit log, the DSL's home page). */
export interface PupilName {
  id: string;
  legal_forename: string;
  preferred_forename: string | null;
  surname: string;
  restricted_at: Date | null;
  leaving_date: string | null;
}

/**
 * Names of those of these pupils the staff member may see (leavers too), by id; the others are left
 * out, so a list never names a pupil its reader could not open.
 */
export async function pupilNames(
  trx: Tx,
  staff: StaffActor,
  pupilIds: readonly string[],
): Promise<Map<string, PupilName>> {
  assertStaff(staff, 'pupil.read');
  const ids = [...new Set(pupilIds)];
  if (!ids.length) return new Map();
  const rows: PupilName[] = await applyPupilScope(trx('pupils as p').whereIn('p.id', ids), pupilScope(staff)).select(
    'p.id',
    'p.legal_forename',
    'p.preferred_forename',
    'p.surname',
    'p.restricted_at',
    'p.leaving_date',
  );
  return new Map(rows.map((r) => [r.id, r]));
}
