/**
 * The school dashboard's SQL, copied from src/modules/assessments (frameworks-service.ts:
 * loadFrameworks and loadTerms; dashboard-service.ts: schoolDashboard's one statement, with the
 * cohort CTEs of src/modules/pupils/cohort.ts and the FSM rules of pupils/queries.ts inlined) on
 * 2026-12-01, for bench/dashboard.ts's bare-SQL baseline. A copy on purpose: the baseline is "the
 * same figures computed by bare SQL", so it stays put while the app's code changes. If the
 * dashboard's statement is rewritten, copy it again (and say so in the commit).
 *
 * Knex's named bindings (`:school`) are PostgreSQL's positional ones here: $1 school, $2 wellbeing
 * framework, $3 attainment framework, $4 term, $5 previous term, $6 from term, $7 to term, $8 group.
 */

export const frameworksSql = `select f.id, f.kind, f.name, f.description, f.recorded_by, f.archived_at, f.version,
            coalesce((select json_agg(json_build_object('id', i.id, 'name', i.name, 'position', i.position,
                        'is_safety_domain', i.is_safety_domain, 'archived_at', i.archived_at) order by i.position)
                        from framework_items i where i.school_id = f.school_id and i.framework_id = f.id and ($1 or i.archived_at is null)), '[]') as items,
            coalesce((select json_agg(json_build_object('id', l.id, 'value', l.value, 'label', l.label, 'short_label', l.short_label,
                        'descriptor', l.descriptor, 'meets_expected', l.meets_expected) order by l.value)
                        from framework_levels l where l.school_id = f.school_id and l.framework_id = f.id), '[]') as levels
       from frameworks f
      where f.school_id = $2 and ($3 or f.archived_at is null)
      order by array_position(array['wellbeing','attainment','end_of_key_stage'], f.kind), f.created_at, f.name`;

export const termsSql =
  'select id, academic_year, name, sequence, starts_on, ends_on from terms where school_id = $1 order by sequence';

/** What schoolDashboard sets for its transaction before the statement (its comment says why). */
export const plannerSettingsSql = 'set local enable_nestloop = off; set local enable_sort = off';

const fsmNow = `(f.start_date <= current_date and (f.end_date is null or f.end_date >= current_date))`;
const fsmEver6 = `(f.start_date <= current_date and (f.end_date is null or f.end_date >= current_date - interval '6 years'))`;

export const dashboardSql = `with fsm as (
         select f.pupil_id,
                bool_or(${fsmNow}) as now,
                bool_or(${fsmEver6}) as ever6
           from pupil_fsm_periods f where f.school_id = $1 group by f.pupil_id
       ),
       flags as (
         select p.id, p.year_group, coalesce(fsm.now, false) as fsm,
                (p.looked_after or p.service_child or coalesce(fsm.ever6, false)) as pp,
                p.sen_status = 'K' as sen_k, p.sen_status = 'E' as sen_e, p.eal, p.looked_after as lac,
                p.sex = 'F' as girls, p.sex = 'M' as boys
           from pupils p left join fsm on fsm.pupil_id = p.id
          where p.school_id = $1 and p.restricted_at is null and (p.leaving_date is null or p.leaving_date > current_date)
       ),
       cohort as materialized (
         select f.*, case cast($8 as text) when 'fsm' then f.fsm when 'pp' then f.pp when 'sen_k' then f.sen_k
                     when 'sen_e' then f.sen_e when 'eal' then f.eal when 'lac' then f.lac when 'girls' then f.girls
                     when 'boys' then f.boys end as member
           from flags f
       ),
       pairs as materialized (
         select x.*, c.member, c.year_group
           from (select s.pupil_id, s.framework_id, s.item_id,
                        max(s.value) filter (where s.term_id = $4) as now_value,
                        max(s.value) filter (where s.term_id = $5) as previous_value,
                        max(s.value) filter (where s.term_id = $6) as from_value,
                        max(s.value) filter (where s.term_id = $7) as to_value,
                        bool_or(l.meets_expected) filter (where s.term_id = $4) as now_expected
                   from assessment_scores s join framework_levels l on l.id = s.level_id
                  where s.school_id = $1 and s.framework_id in ($2, $3) and s.term_id in ($4, $5, $6, $7)
                  group by s.pupil_id, s.framework_id, s.item_id) x
           join cohort c on c.id = x.pupil_id
       ),
       per_pupil as (
         select c.*, p.wb_total, p.wb_n, p.assessed, p.expected, p.pr_total, p.pr_n
           from cohort c
           left join (select pupil_id,
                             sum(now_value) filter (where framework_id = $2)::float as wb_total,
                             count(now_value) filter (where framework_id = $2) as wb_n,
                             count(now_value) filter (where framework_id = $3) as assessed,
                             count(*) filter (where framework_id = $3 and now_expected) as expected,
                             sum(to_value - from_value) filter (where framework_id = $2)::float as pr_total,
                             count(to_value - from_value) filter (where framework_id = $2) as pr_n
                        from pairs group by pupil_id) p on p.pupil_id = c.id
       ),
       by_group as (
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
               select item_id, cast($4 as uuid) as term_id, member, now_value as value from pairs where framework_id = $2 and now_value is not null
               union all
               select item_id, cast($5 as uuid), member, previous_value from pairs where framework_id = $2 and previous_value is not null) v
              group by item_id, term_id, member, value) d), '[]'),
         'attainmentByYear', coalesce((select json_agg(d order by year_group_rank(d.year_group)) from (
             select item_id, year_group, member, count(*)::int as assessed, count(*) filter (where now_expected)::int as expected
               from pairs where framework_id = $3 and now_value is not null group by item_id, year_group, member) d), '[]'),
         'progress', coalesce((select json_agg(d) from (
             select framework_id, item_id, member, count(*)::int as n, avg(to_value - from_value)::float as mean_change,
                    count(*) filter (where to_value > from_value)::int as improved, count(*) filter (where to_value < from_value)::int as declined
               from pairs where from_value is not null and to_value is not null group by framework_id, item_id, member) d), '[]'),
         'groupWellbeing', (select json_agg(d) from (select key, member, pupils, scores, mean from by_group) d),
         'groupAttainment', (select json_agg(d) from (select key, member, assessed, expected from by_group) d),
         'groupProgress', (select json_agg(d) from (select key, member, progress_n as n, mean_change from by_group) d)
       ) as figures`;
