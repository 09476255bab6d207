import { fsmEligibleInLastSixYears, fsmEligibleNow } from './queries.js';

/**
 * The school-wide cohort for other modules' aggregates (the assessments dashboard), as SQL that
 * pupils owns because it names pupils' tables. It is SQL rather than a function returning rows so
 * the caller can aggregate over it in one statement: the dashboard reads whole terms of scores and
 * must not load 1,500 pupils into Node first.
 *
 * Two CTEs, to put after `with`: `fsm` and `flags` (one row per pupil on roll and not restricted
 * (P29): id, year_group and the vulnerable-group flags fsm, pp, sen_k, sen_e, eal, lac, girls, boys).
 * The school is the named binding `:school` of the caller's statement.
 */
export function cohortFlagsCtes(): string {
  return `fsm as (
         select f.pupil_id,
                bool_or(${fsmEligibleNow()}) as now,
                bool_or(${fsmEligibleInLastSixYears()}) as ever6
           from pupil_fsm_periods f where f.school_id = :school group by f.pupil_id
       ),
       flags as (
         select p.id, p.year_group, coalesce(fsm.now, false) as fsm,
                (p.looked_after or p.service_child or coalesce(fsm.ever6, false)) as pp,
                p.sen_status = 'K' as sen_k, p.sen_status = 'E' as sen_e, p.eal, p.looked_after as lac,
                p.sex = 'F' as girls, p.sex = 'M' as boys
           from pupils p left join fsm on fsm.pupil_id = p.id
          where p.school_id = :school and p.restricted_at is null and (p.leaving_date is null or p.leaving_date > current_date)
       )`;
}
