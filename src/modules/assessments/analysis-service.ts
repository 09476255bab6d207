import type { Database, Tx } from '../../db/index.js';
import { type Actor, assertStaff } from '../../policy/index.js';
import { NotFound } from '../../errors.js';
import * as audit from '../audit/service.js';
import { groupIdsOf, loadGroupForStaff, loadPupilForStaff } from '../pupils/service.js';
import { type Framework, loadFrameworks, type Term, termFor, termsWithCurrent } from './frameworks-service.js';

/**
 * Analysis (P7). Everything here is advice to staff, never an automatic decision (P10): it orders
 * and summarises; people decide. Restricted pupils (P29) are left out of school-wide figures.
 * Aggregates are computed in SQL, never by loading every score into Node.
 */

const today = () => new Date().toISOString().slice(0, 10);

export interface OverviewCell {
  value: number | null;
  change: number | null;
}

export interface OverviewRow {
  pupil: { id: string; legal_forename: string; preferred_forename: string | null; surname: string };
  cells: Record<string, OverviewCell>;
  lowest: number | null;
  totalChange: number;
  average: number | null;
}

/** "Needs attention" first: the lowest domain score, then the steepest total fall, then the lowest average. */
export function byAttention(a: OverviewRow, b: OverviewRow): number {
  const low = (r: OverviewRow) => r.lowest ?? Number.POSITIVE_INFINITY;
  return low(a) - low(b) || a.totalChange - b.totalChange || (a.average ?? 99) - (b.average ?? 99) || a.pupil.surname.localeCompare(b.pupil.surname);
}

/** Latest and previous score per pupil and item, up to (and including) a term, in one index scan. */
async function latestTwo(trx: Tx, schoolId: string, pupilIds: string[], itemIds: string[], uptoSequence: number) {
  if (!pupilIds.length || !itemIds.length) return [];
  const { rows } = await trx.raw<{ rows: { pupil_id: string; item_id: string; value: number; rn: number }[] }>(
    `select pupil_id, item_id, value, rn from (
       select s.pupil_id, s.item_id, s.value, row_number() over (partition by s.pupil_id, s.item_id order by s.term_sequence desc) as rn
         from assessment_scores s
        where s.school_id = ? and s.pupil_id = any(?::uuid[]) and s.item_id = any(?::uuid[]) and s.term_sequence <= ?) ranked
      where rn <= 2`,
    [schoolId, pupilIds, itemIds, uptoSequence],
  );
  return rows;
}

/** The class page: each pupil's latest wellbeing score per domain and the change since the one before. */
export async function classOverview(db: Database, actor: Actor, groupId: string, termId?: string) {
  const staff = assertStaff(actor, 'assessment.read');
  return db.withActor(staff, async (trx) => {
    const group = await loadGroupForStaff(trx, staff, groupId);
    const frameworks = await loadFrameworks(trx, staff.schoolId);
    const wellbeing = frameworks.find((f) => f.kind === 'wellbeing');
    const terms = await trx('terms').where({ school_id: staff.schoolId }).select('id', 'academic_year', 'name', 'sequence', 'starts_on', 'ends_on').orderBy('sequence') as Term[];
    const term = (termId ? terms.find((t) => t.id === termId) : termFor(terms, today())) ?? terms.at(-1);
    const rows: OverviewRow[] = [];
    if (wellbeing && term) {
      const scores = await latestTwo(trx, staff.schoolId, group.pupils.map((p) => p.id), wellbeing.items.map((i) => i.id), term.sequence);
      for (const pupil of group.pupils) {
        const cells: Record<string, OverviewCell> = {};
        for (const item of wellbeing.items) {
          const mine = scores.filter((s) => s.pupil_id === pupil.id && s.item_id === item.id);
          const latest = mine.find((s) => s.rn === 1)?.value ?? null;
          const previous = mine.find((s) => s.rn === 2)?.value ?? null;
          cells[item.id] = { value: latest, change: latest !== null && previous !== null ? latest - previous : null };
        }
        const values = Object.values(cells).map((c) => c.value).filter((v): v is number => v !== null);
        rows.push({
          pupil,
          cells,
          lowest: values.length ? Math.min(...values) : null,
          totalChange: Object.values(cells).reduce((n, c) => n + (c.change ?? 0), 0),
          average: values.length ? values.reduce((a, b) => a + b, 0) / values.length : null,
        });
      }
      rows.sort(byAttention);
    }
    await audit.record(trx, staff, { action: 'assessment.viewed', entityType: 'group', entityId: groupId, meta: { pupils: rows.length } });
    return { ...group, wellbeing: wellbeing ?? null, term: term ?? null, terms, rows };
  });
}

export interface ItemHistory {
  item: { id: string; name: string };
  points: { term: Term; value: number; label: string }[];
}

/** A pupil's scores over time, per framework and item, for the profile's charts. */
export async function pupilHistory(db: Database, actor: Actor, pupilId: string) {
  const staff = assertStaff(actor, 'assessment.read');
  return db.withActor(staff, async (trx) => {
    await loadPupilForStaff(trx, staff, pupilId);
    const frameworks = await loadFrameworks(trx, staff.schoolId);
    const terms = (await trx('terms').where({ school_id: staff.schoolId }).select('id', 'academic_year', 'name', 'sequence', 'starts_on', 'ends_on').orderBy('sequence')) as Term[];
    const scores: { framework_id: string; item_id: string; term_id: string; value: number; level_id: string }[] = await trx('assessment_scores')
      .where({ school_id: staff.schoolId, pupil_id: pupilId }).select('framework_id', 'item_id', 'term_id', 'value', 'level_id');
    const result = frameworks.map((fw) => ({
      framework: fw,
      items: fw.items.map((item) => ({
        item: { id: item.id, name: item.name },
        points: terms.flatMap((term) => {
          const s = scores.find((x) => x.item_id === item.id && x.term_id === term.id);
          return s ? [{ term, value: s.value, label: fw.levels.find((l) => l.id === s.level_id)?.short_label ?? String(s.value) }] : [];
        }),
      })),
    })).filter((f) => f.items.some((i) => i.points.length));
    const interventions = await trx('interventions as i').leftJoin('users as u', 'u.id', 'i.lead_user_id')
      .whereIn('i.group_id', await groupIdsOf(trx, staff, pupilId))
      .select('i.id', 'i.name', 'i.type', 'i.status', 'i.start_date', 'i.end_date', trx.raw(`u.given_name || ' ' || u.family_name as lead_name`))
      .orderBy('i.start_date', 'desc');
    await audit.record(trx, staff, { action: 'assessment.viewed', entityType: 'pupil', entityId: pupilId, meta: { frameworks: result.length } });
    return { frameworks: result, interventions, terms };
  });
}

export const vulnerableGroups = [
  { key: 'fsm', label: 'Free school meals now' },
  { key: 'pp', label: 'Pupil Premium' },
  { key: 'sen_k', label: 'SEN support (K)' },
  { key: 'sen_e', label: 'EHC plan (E)' },
  { key: 'eal', label: 'EAL' },
  { key: 'lac', label: 'Looked after' },
  { key: 'girls', label: 'Girls' },
  { key: 'boys', label: 'Boys' },
] as const;

/** Pupils counted in school figures: on roll and not restricted, with their vulnerable-group flags. */
const cohort = `
  cohort as (
    select p.id, p.year_group,
      exists (select 1 from pupil_fsm_periods f where f.school_id = p.school_id and f.pupil_id = p.id and f.start_date <= current_date and (f.end_date is null or f.end_date >= current_date)) as fsm,
      (p.looked_after or p.service_child or exists (select 1 from pupil_fsm_periods f where f.school_id = p.school_id and f.pupil_id = p.id and (f.end_date is null or f.end_date >= current_date - interval '6 years'))) as pp,
      p.sen_status = 'K' as sen_k, p.sen_status = 'E' as sen_e, p.eal, p.looked_after as lac, p.sex = 'F' as girls, p.sex = 'M' as boys
    from pupils p
    where p.school_id = ? and p.restricted_at is null and (p.leaving_date is null or p.leaving_date > current_date)
  ),
  membership as (
    select c.id, g.key, g.member from cohort c
    cross join lateral (values ('fsm', c.fsm), ('pp', c.pp), ('sen_k', c.sen_k), ('sen_e', c.sen_e), ('eal', c.eal),
                               ('lac', c.lac), ('girls', c.girls), ('boys', c.boys)) as g(key, member)
  )`;

export interface DashboardOptions {
  termId?: string | undefined;
  fromTermId?: string | undefined;
  toTermId?: string | undefined;
}

/**
 * The school dashboard (head, DSL, SENCo): wellbeing distribution this term and last, attainment at
 * expected or above by subject and year, progress between two chosen terms, and the same for each
 * vulnerable group against everyone else, with group sizes.
 */
export async function schoolDashboard(db: Database, actor: Actor, options: DashboardOptions) {
  const staff = assertStaff(actor, 'dashboard.school');
  return db.withActor(staff, async (trx) => {
    const frameworks = await loadFrameworks(trx, staff.schoolId);
    const terms = await termsWithCurrent(db, trx, staff);
    const term = (options.termId ? terms.find((t) => t.id === options.termId) : termFor(terms, today())) ?? terms.at(-1);
    if (!term) throw new NotFound('term');
    const previous = [...terms].reverse().find((t) => t.sequence < term.sequence) ?? null;
    const fromTerm = (options.fromTermId ? terms.find((t) => t.id === options.fromTermId) : previous) ?? null;
    const toTerm = (options.toTermId ? terms.find((t) => t.id === options.toTermId) : term) ?? term;
    const wellbeing = frameworks.find((f) => f.kind === 'wellbeing') ?? null;
    const attainment = frameworks.find((f) => f.kind === 'attainment') ?? null;
    const school = staff.schoolId;

    const cohortSize = Number((await trx.raw(`with ${cohort} select count(*)::int as n from cohort`, [school])).rows[0].n);

    const distribution = wellbeing
      ? (await trx.raw(`with ${cohort}
          select s.item_id, s.term_id, s.value, count(*)::int as n
            from assessment_scores s join cohort c on c.id = s.pupil_id
           where s.school_id = ? and s.framework_id = ? and s.term_id = any(?::uuid[])
           group by s.item_id, s.term_id, s.value`, [school, school, wellbeing.id, [term.id, previous?.id ?? term.id]])).rows as { item_id: string; term_id: string; value: number; n: number }[]
      : [];

    const attainmentByYear = attainment
      ? (await trx.raw(`with ${cohort}
          select s.item_id, c.year_group, count(*)::int as assessed, count(*) filter (where l.meets_expected)::int as expected
            from assessment_scores s join cohort c on c.id = s.pupil_id join framework_levels l on l.id = s.level_id
           where s.school_id = ? and s.framework_id = ? and s.term_id = ?
           group by s.item_id, c.year_group
           order by year_group_rank(c.year_group)`, [school, school, attainment.id, term.id])).rows as { item_id: string; year_group: string; assessed: number; expected: number }[]
      : [];

    const progressSql = (fw: Framework, from: Term) => trx.raw(`with ${cohort}
        select a.item_id, count(*)::int as n, avg(b.value - a.value)::float as mean_change,
               count(*) filter (where b.value > a.value)::int as improved, count(*) filter (where b.value < a.value)::int as declined
          from assessment_scores a
          join assessment_scores b on b.pupil_id = a.pupil_id and b.item_id = a.item_id and b.term_id = ?
          join cohort c on c.id = a.pupil_id
         where a.school_id = ? and a.framework_id = ? and a.term_id = ?
         group by a.item_id`, [school, toTerm.id, school, fw.id, from.id]);
    const progress: Record<string, { item_id: string; n: number; mean_change: number; improved: number; declined: number }[]> = {};
    if (fromTerm) {
      for (const fw of [wellbeing, attainment]) if (fw) progress[fw.id] = (await progressSql(fw, fromTerm)).rows;
    }

    // The same measures for each vulnerable group and for everyone else, in one query per measure.
    const groupWellbeing = wellbeing
      ? (await trx.raw(`with ${cohort}
          select m.key, m.member, count(distinct m.id)::int as pupils, count(s.id)::int as scores, avg(s.value)::float as mean
            from membership m left join assessment_scores s on s.pupil_id = m.id and s.framework_id = ? and s.term_id = ?
           group by m.key, m.member`, [school, wellbeing.id, term.id])).rows as { key: string; member: boolean; pupils: number; scores: number; mean: number | null }[]
      : [];
    const groupAttainment = attainment
      ? (await trx.raw(`with ${cohort}
          select m.key, m.member, count(s.id)::int as assessed, count(s.id) filter (where l.meets_expected)::int as expected
            from membership m join assessment_scores s on s.pupil_id = m.id and s.framework_id = ? and s.term_id = ?
            join framework_levels l on l.id = s.level_id
           group by m.key, m.member`, [school, attainment.id, term.id])).rows as { key: string; member: boolean; assessed: number; expected: number }[]
      : [];
    const groupProgress = fromTerm && wellbeing
      ? (await trx.raw(`with ${cohort}
          select m.key, m.member, count(*)::int as n, avg(b.value - a.value)::float as mean_change
            from membership m
            join assessment_scores a on a.pupil_id = m.id and a.framework_id = ? and a.term_id = ?
            join assessment_scores b on b.pupil_id = a.pupil_id and b.item_id = a.item_id and b.term_id = ?
           group by m.key, m.member`, [school, wellbeing.id, fromTerm.id, toTerm.id])).rows as { key: string; member: boolean; n: number; mean_change: number | null }[]
      : [];

    await audit.record(trx, staff, { action: 'dashboard.viewed', entityType: 'school', entityId: school });
    return {
      terms, term, previous, fromTerm, toTerm, wellbeing, attainment, cohortSize,
      distribution, attainmentByYear, progress, groupWellbeing, groupAttainment, groupProgress,
    };
  });
}
