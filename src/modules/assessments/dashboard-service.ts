import type { Database } from '../../db/index.js';
import { today } from '../../lib/dates.js';
import { type Actor, assertStaff } from '../../policy/index.js';
import { NotFound } from '../../errors.js';
import * as audit from '../audit/index.js';
import { cohortFlagsCtes } from '../pupils/index.js';
import { loadFrameworks, termFor, termsWithCurrent } from './frameworks-service.js';

/**
 * The school dashboard (P7): advice to staff, never an automatic decision (P10). Restricted pupils
 * and leavers are left out (P29). Every figure comes from one SQL statement, never by loading every
 * score into Node.
 */

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

export type VulnerableGroupKey = (typeof vulnerableGroups)[number]['key'];

/**
 * `member` splits a figure when a vulnerable group is chosen: true for the group, false for
 * everyone else; null when no group is chosen (all pupils together).
 */
interface DashboardFigures {
  cohortSize: number;
  groupSizes: { member: boolean | null; n: number }[];
  distribution: { item_id: string; term_id: string; member: boolean | null; value: number; n: number }[];
  attainmentByYear: {
    item_id: string;
    year_group: string;
    member: boolean | null;
    assessed: number;
    expected: number;
  }[];
  progress: {
    framework_id: string;
    item_id: string;
    member: boolean | null;
    n: number;
    mean_change: number;
    improved: number;
    declined: number;
  }[];
  groupWellbeing: { key: string; member: boolean; pupils: number; scores: number; mean: number | null }[];
  groupAttainment: { key: string; member: boolean; assessed: number; expected: number }[];
  groupProgress: { key: string; member: boolean; n: number; mean_change: number | null }[];
}

export interface DashboardOptions {
  termId?: string | undefined;
  fromTermId?: string | undefined;
  toTermId?: string | undefined;
  /** Break every figure down into this group and everyone else. */
  group?: VulnerableGroupKey | undefined;
  /** Which attainment framework, when the school has more than one (default: the first set up). */
  attainmentId?: string | undefined;
}

/**
 * The school dashboard (head, DSL, SENCo): wellbeing distribution this term and last, attainment at
 * expected or above by subject and year, progress between two chosen terms, and the same for each
 * vulnerable group against everyone else, with group sizes.
 */
export async function schoolDashboard(db: Database, actor: Actor, options: DashboardOptions) {
  const staff = assertStaff(actor, 'dashboard.school');
  return db.withActor(
    staff,
    async (trx) => {
      const frameworks = await loadFrameworks(trx, staff.schoolId);
      const terms = await termsWithCurrent(db, trx, staff);
      const term =
        (options.termId ? terms.find((t) => t.id === options.termId) : termFor(terms, today())) ?? terms.at(-1);
      if (!term) throw new NotFound('term');
      const previous = [...terms].reverse().find((t) => t.sequence < term.sequence) ?? null;
      const fromTerm = (options.fromTermId ? terms.find((t) => t.id === options.fromTermId) : previous) ?? null;
      const toTerm = (options.toTermId ? terms.find((t) => t.id === options.toTermId) : term) ?? term;
      const wellbeing = frameworks.find((f) => f.kind === 'wellbeing') ?? null;
      const attainments = frameworks.filter((f) => f.kind === 'attainment');
      const attainment = attainments.find((f) => f.id === options.attainmentId) ?? attainments[0] ?? null;
      const group = vulnerableGroups.find((g) => g.key === options.group) ?? null;
      const school = staff.schoolId;

      const none = '00000000-0000-0000-0000-000000000000';
      const wbId = wellbeing?.id ?? none;
      const attId = attainment?.id ?? none;
      // One statement: the cohort (on roll, not restricted, with vulnerable-group flags) is computed
      // once and every figure is aggregated from it, returned together as JSON.
      const { rows } = await trx.raw<{ rows: { figures: DashboardFigures }[] }>(
        `with ${cohortFlagsCtes()},
       cohort as materialized (
         select f.*, case cast(:group as text) when 'fsm' then f.fsm when 'pp' then f.pp when 'sen_k' then f.sen_k
                     when 'sen_e' then f.sen_e when 'eal' then f.eal when 'lac' then f.lac when 'girls' then f.girls
                     when 'boys' then f.boys end as member
           from flags f
       ),
       pairs as materialized (
         -- One row per pupil and item, with its score in each term the figures use: the scores are
         -- read once, and every figure below is aggregated from these rows.
         select x.*, c.member, c.year_group
           from (select s.pupil_id, s.framework_id, s.item_id,
                        max(s.value) filter (where s.term_id = :term) as now_value,
                        max(s.value) filter (where s.term_id = :previous) as previous_value,
                        max(s.value) filter (where s.term_id = :from) as from_value,
                        max(s.value) filter (where s.term_id = :to) as to_value,
                        bool_or(l.meets_expected) filter (where s.term_id = :term) as now_expected
                   from assessment_scores s join framework_levels l on l.id = s.level_id
                  where s.school_id = :school and s.framework_id in (:wb, :att) and s.term_id in (:term, :previous, :from, :to)
                  group by s.pupil_id, s.framework_id, s.item_id) x
           join cohort c on c.id = x.pupil_id
       ),
       per_pupil as (
         select c.*, p.wb_total, p.wb_n, p.assessed, p.expected, p.pr_total, p.pr_n
           from cohort c
           left join (select pupil_id,
                             sum(now_value) filter (where framework_id = :wb)::float as wb_total,
                             count(now_value) filter (where framework_id = :wb) as wb_n,
                             count(now_value) filter (where framework_id = :att) as assessed,
                             count(*) filter (where framework_id = :att and now_expected) as expected,
                             sum(to_value - from_value) filter (where framework_id = :wb)::float as pr_total,
                             count(to_value - from_value) filter (where framework_id = :wb) as pr_n
                        from pairs group by pupil_id) p on p.pupil_id = c.id
       ),
       by_group as (
         -- Each vulnerable group against everyone else, in one pass: a grouping set per group. In each
         -- set only that group's column is not null, so coalesce picks it out.
         select case when grouping(pp.fsm) = 0 then 'fsm' when grouping(pp.pp) = 0 then 'pp' when grouping(pp.sen_k) = 0 then 'sen_k'
                     when grouping(pp.sen_e) = 0 then 'sen_e' when grouping(pp.eal) = 0 then 'eal' when grouping(pp.lac) = 0 then 'lac'
                     when grouping(pp.girls) = 0 then 'girls' else 'boys' end as key,
                coalesce(pp.fsm, pp.pp, pp.sen_k, pp.sen_e, pp.eal, pp.lac, pp.girls, pp.boys) as member,
                count(*)::int as pupils, sum(pp.wb_n)::int as scores, sum(pp.wb_total) / nullif(sum(pp.wb_n), 0) as mean,
                coalesce(sum(pp.assessed), 0)::int as assessed, coalesce(sum(pp.expected), 0)::int as expected,
                coalesce(sum(pp.pr_n), 0)::int as progress_n, sum(pp.pr_total) / nullif(sum(pp.pr_n), 0) as mean_change
           from per_pupil pp
          group by grouping sets ((pp.fsm), (pp.pp), (pp.sen_k), (pp.sen_e), (pp.eal), (pp.lac), (pp.girls), (pp.boys))
       )
       select json_build_object(
         'cohortSize', (select count(*) from cohort),
         'groupSizes', (select json_agg(d) from (select member, count(*)::int as n from cohort group by member) d),
         'distribution', coalesce((select json_agg(d) from (
             select item_id, term_id, member, value, count(*)::int as n from (
               select item_id, cast(:term as uuid) as term_id, member, now_value as value from pairs where framework_id = :wb and now_value is not null
               union all
               select item_id, cast(:previous as uuid), member, previous_value from pairs where framework_id = :wb and previous_value is not null) v
              group by item_id, term_id, member, value) d), '[]'),
         'attainmentByYear', coalesce((select json_agg(d order by year_group_rank(d.year_group)) from (
             select item_id, year_group, member, count(*)::int as assessed, count(*) filter (where now_expected)::int as expected
               from pairs where framework_id = :att and now_value is not null group by item_id, year_group, member) d), '[]'),
         'progress', coalesce((select json_agg(d) from (
             select framework_id, item_id, member, count(*)::int as n, avg(to_value - from_value)::float as mean_change,
                    count(*) filter (where to_value > from_value)::int as improved, count(*) filter (where to_value < from_value)::int as declined
               from pairs where from_value is not null and to_value is not null group by framework_id, item_id, member) d), '[]'),
         'groupWellbeing', (select json_agg(d) from (select key, member, pupils, scores, mean from by_group) d),
         'groupAttainment', (select json_agg(d) from (select key, member, assessed, expected from by_group) d),
         'groupProgress', (select json_agg(d) from (select key, member, progress_n as n, mean_change from by_group) d)
       ) as figures`,
        {
          school,
          wb: wbId,
          att: attId,
          term: term.id,
          previous: previous?.id ?? none,
          from: fromTerm?.id ?? none,
          to: toTerm.id,
          group: group?.key ?? '',
        },
      );
      const figures = rows[0]!.figures;
      const progress: Record<string, DashboardFigures['progress']> = {};
      if (fromTerm)
        for (const fw of [wellbeing, attainment])
          if (fw) progress[fw.id] = figures.progress.filter((r) => r.framework_id === fw.id);

      await audit.recordRead(trx, staff, {
        action: 'dashboard.viewed',
        entityType: 'school',
        entityId: school,
        meta: { group: group?.key ?? null },
      });
      return {
        terms,
        term,
        previous,
        fromTerm,
        toTerm,
        wellbeing,
        attainment,
        attainments,
        group,
        cohortSize: figures.cohortSize,
        groupSizes: figures.groupSizes,
        distribution: figures.distribution,
        attainmentByYear: figures.attainmentByYear,
        progress,
        groupWellbeing: figures.groupWellbeing,
        groupAttainment: figures.groupAttainment,
        groupProgress: fromTerm ? figures.groupProgress : [],
      };
    },
    // Row-level security hides row counts from the planner (it expects a handful of pupils, not
    // 1,500), so it loops index lookups per pupil and sorts to group. These aggregates read whole
    // terms: hash joins and hash aggregation are right, so nested loops and sorts are switched off
    // for this transaction only (with BEGIN; the small reads before the figures do not mind).
    { planner: { enable_nestloop: 'off', enable_sort: 'off' } },
  );
}
