import type { Knex } from 'knex';
import type { Tx } from '../../db/index.js';
import type { PupilScope } from '../../policy/index.js';
import { applyPupilScope } from './scope.js';

export interface ListFilters {
  q?: string | undefined;
  year?: string | undefined;
  group?: string | undefined;
  sen?: 'any' | 'K' | 'E' | 'N' | undefined;
  fsm?: 'now' | 'ever6' | 'pp' | undefined;
  eal?: 'yes' | 'no' | undefined;
  lac?: 'yes' | undefined;
  flag?: string | undefined;
  status: 'on_roll' | 'left' | 'all';
  sort: 'name' | 'year' | 'dob' | 'upn' | 'sen' | 'attendance';
  dir: 'asc' | 'desc';
}

/** A pupil_fsm_periods row `f` covers today (as `fsmNow` in record.ts). */
export const fsmEligibleNow = (f = 'f') =>
  `(${f}.start_date <= current_date and (${f}.end_date is null or ${f}.end_date >= current_date))`;
/** A pupil_fsm_periods row `f` falls in the six years up to today: Ever-6 (as `everSixFsm` in record.ts). */
export const fsmEligibleInLastSixYears = (f = 'f') =>
  `(${f}.start_date <= current_date and (${f}.end_date is null or ${f}.end_date >= current_date - interval '6 years'))`;
const fsmNow = `exists (select 1 from pupil_fsm_periods f where f.school_id = p.school_id and f.pupil_id = p.id and ${fsmEligibleNow()})`;
const everSix = `exists (select 1 from pupil_fsm_periods f where f.school_id = p.school_id and f.pupil_id = p.id and ${fsmEligibleInLastSixYears()})`;
const pupilPremium = `(${everSix} or p.looked_after or p.service_child)`;
const currentFlags = `(select coalesce(array_agg(sf.name order by sf.name), '{}') from pupil_support_flags psf join support_flags sf on sf.id = psf.flag_id
   where psf.school_id = p.school_id and psf.pupil_id = p.id and psf.start_date <= current_date and (psf.end_date is null or psf.end_date >= current_date))`;
export const onRoll = `(p.leaving_date is null or p.leaving_date > current_date)`;

/** A search's words: spaces and commas separate them, so "Okafor, Amelia" (as lists write names) is two words. */
export function searchTerms(search: string, max: number): string[] {
  return search
    .split(/[\s,]+/)
    .filter(Boolean)
    .slice(0, max);
}

/**
 * Every word of the search matches some name of the pupil, in any order (so "Okafor, Amelia" and
 * "Amelia Okafor" find the same pupil); with `identifiers`, a word may instead be the pupil's UPN or
 * MIS ID, compared without regard to case (people type "sample001" for SAMPLE001).
 */
export function whereSearchMatches(qb: Knex.QueryBuilder, search: string, opts: { identifiers: boolean }): void {
  for (const term of searchTerms(search, opts.identifiers ? 5 : 3)) {
    const like = `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    qb.where((w) => {
      w.whereILike('p.legal_forename', like).orWhereILike('p.preferred_forename', like).orWhereILike('p.surname', like);
      if (opts.identifiers)
        w.orWhereRaw('upper(p.upn) = upper(?)', [term]).orWhereRaw('lower(p.mis_id) = lower(?)', [term]);
    });
  }
}

/** The filtered, scoped pupil query, before columns, order and paging. */
export function filtered(trx: Tx, scope: PupilScope, f: ListFilters): Knex.QueryBuilder {
  const q = applyPupilScope(trx('pupils as p'), scope);
  if (f.status === 'on_roll') q.whereRaw(onRoll);
  if (f.status === 'left') q.whereRaw(`not ${onRoll}`);
  whereSearchMatches(q, f.q ?? '', { identifiers: true });
  if (f.year) q.where('p.year_group', f.year);
  if (f.group)
    q.whereExists((s) =>
      s.select(1).from('group_members as fgm').whereRaw('fgm.pupil_id = p.id').where('fgm.group_id', f.group),
    );
  if (f.sen === 'any') q.whereIn('p.sen_status', ['K', 'E']);
  else if (f.sen) q.where('p.sen_status', f.sen);
  if (f.fsm === 'now') q.whereRaw(fsmNow);
  if (f.fsm === 'ever6') q.whereRaw(everSix);
  if (f.fsm === 'pp') q.whereRaw(pupilPremium);
  if (f.eal) q.where('p.eal', f.eal === 'yes');
  if (f.lac) q.where('p.looked_after', true);
  if (f.flag) {
    q.whereExists((s) =>
      s
        .select(1)
        .from('pupil_support_flags as fpsf')
        .whereRaw('fpsf.pupil_id = p.id')
        .where('fpsf.flag_id', f.flag)
        .whereRaw('fpsf.start_date <= current_date and (fpsf.end_date is null or fpsf.end_date >= current_date)'),
    );
  }
  return q;
}

const sortColumns: Record<ListFilters['sort'], string[]> = {
  name: ['p.surname', 'p.legal_forename', 'p.id'],
  year: ['year_group_rank(p.year_group)', 'p.surname', 'p.legal_forename', 'p.id'],
  dob: ['p.date_of_birth', 'p.surname', 'p.id'],
  upn: ['p.upn', 'p.id'],
  sen: [`array_position(array['E','K','N'], p.sen_status)`, 'p.surname', 'p.id'],
  attendance: ['p.attendance_percent', 'p.surname', 'p.id'],
};

export function ordered(q: Knex.QueryBuilder, f: ListFilters): Knex.QueryBuilder {
  const [first, ...rest] = sortColumns[f.sort];
  q.orderByRaw(`${first} ${f.dir} nulls last`);
  for (const c of rest) q.orderByRaw(`${c} asc`);
  return q;
}

/** A pupil as lists of names show them (groups, pickers). */
export interface PupilListItem {
  id: string;
  legal_forename: string;
  preferred_forename: string | null;
  surname: string;
  year_group: string;
  date_of_birth: string;
  upn: string | null;
}

/** The columns of a `PupilListItem`, from `pupils as p`. */
export const pupilColumns = [
  'p.id',
  'p.legal_forename',
  'p.preferred_forename',
  'p.surname',
  'p.year_group',
  'p.date_of_birth',
  'p.upn',
];

/** A row of the pupil list: the name columns and what its filters and sorts show. */
export interface PupilListRow extends PupilListItem {
  mis_id: string | null;
  sen_status: 'N' | 'K' | 'E';
  eal: boolean;
  looked_after: boolean;
  attendance_percent: number | null;
  leaving_date: string | null;
  restricted_at: Date | null;
  fsm_now: boolean;
  pupil_premium: boolean;
  flags: string[];
}

export function listColumns(trx: Tx): (string | Knex.Raw)[] {
  return [
    ...pupilColumns,
    'p.mis_id',
    'p.sen_status',
    'p.eal',
    'p.looked_after',
    'p.attendance_percent',
    'p.leaving_date',
    'p.restricted_at',
    trx.raw(`${fsmNow} as fsm_now`),
    trx.raw(`${pupilPremium} as pupil_premium`),
    trx.raw(`${currentFlags} as flags`),
  ];
}

/** Every stored field of the record, for the profile, the edit form and the CSV export. */
export const recordColumns = [
  'p.id',
  'p.school_id',
  'p.mis_id',
  'p.upn',
  'p.legal_forename',
  'p.preferred_forename',
  'p.surname',
  'p.date_of_birth',
  'p.sex',
  'p.year_group',
  'p.admission_date',
  'p.leaving_date',
  'p.leaving_reason',
  'p.ethnicity',
  'p.first_language',
  'p.eal',
  'p.looked_after',
  'p.service_child',
  'p.sen_status',
  'p.sen_primary_need',
  'p.sen_secondary_need',
  'p.attendance_percent',
  'p.restricted_at',
  'p.version',
  'p.mis_snapshot',
  'p.created_at',
  'p.updated_at',
];

export function exportColumns(trx: Tx): (string | Knex.Raw)[] {
  return [
    ...recordColumns,
    trx.raw(`${everSix} as ever_6_fsm`),
    trx.raw(`${pupilPremium} as pupil_premium`),
    trx.raw(`(select string_agg(f.start_date::text || '..' || coalesce(f.end_date::text, ''), '; ' order by f.start_date)
              from pupil_fsm_periods f where f.school_id = p.school_id and f.pupil_id = p.id) as fsm_periods`),
  ];
}

export interface HistoryEntry {
  field: string;
  old_value: string | null;
  new_value: string | null;
  source: 'edit' | 'import' | 'create' | 'leaver';
  changed_by: string | null;
}

export async function writeHistory(trx: Tx, schoolId: string, pupilId: string, entries: HistoryEntry[]): Promise<void> {
  if (!entries.length) return;
  await trx('pupil_history').insert(entries.map((e) => ({ school_id: schoolId, pupil_id: pupilId, ...e })));
}

/** What the class page marks beside a pupil's name: SEN status, Pupil Premium and looked after. */
export interface PupilMarkers {
  sen_status: 'N' | 'K' | 'E';
  pupil_premium: boolean;
  looked_after: boolean;
}

/**
 * The context markers of these pupils, as far as the scope lets the caller see them, in the
 * caller's transaction (assessments' class page). SEN status is special-category: the caller audits the read.
 */
export async function pupilMarkers(trx: Tx, scope: PupilScope, pupilIds: string[]): Promise<Map<string, PupilMarkers>> {
  if (!pupilIds.length) return new Map();
  const rows: (PupilMarkers & { id: string })[] = await applyPupilScope(
    trx('pupils as p').whereIn('p.id', pupilIds),
    scope,
  ).select('p.id', 'p.sen_status', 'p.looked_after', trx.raw(`${pupilPremium} as pupil_premium`));
  return new Map(rows.map(({ id, ...markers }) => [id, markers]));
}
