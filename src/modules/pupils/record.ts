import { z } from 'zod';
import { parseDate, today } from '../../lib/dates.js';
import { date, oneOf, readYesNo, requiredExactText, text, yesNo } from '../../lib/form-fields.js';
import { yearGroups, type YearGroup } from '../../lib/year-groups.js';
import { ethnicityLabels, isEal, senNeedLabels, sexLabels } from './reference.js';
import { checkUpn } from './upn.js';

/**
 * One pupil record as people and MIS files write it (strings), validated into stored values.
 * The edit form and the CSV import both use this, so they accept and refuse the same things.
 * Text is stored exactly as typed: never trimmed or "fixed", so what goes in comes back out.
 */

const yearAliases: Record<string, YearGroup> = { nursery: 'N', reception: 'R', rec: 'R' };
for (const y of yearGroups)
  if (/^\d+$/.test(y)) Object.assign(yearAliases, { [`y${y}`]: y, [`year ${y}`]: y, [`year${y}`]: y });

const sexAliases: Record<string, 'M' | 'F' | 'U'> = { male: 'M', female: 'F', unknown: 'U' };

export const upn = z
  .string()
  .optional()
  .transform((v) => (v ?? '').trim())
  .transform((v, ctx) => {
    if (v === '') return null;
    const check = checkUpn(v);
    if (!check.valid) ctx.addIssue({ code: 'custom', message: `UPN ${v}: ${check.problem}` });
    return v;
  });

const attendance = z
  .string()
  .optional()
  .transform((v) => (v ?? '').trim().replace(/%$/, ''))
  .transform((v, ctx) => {
    if (v === '') return null;
    if (!/^\d{1,3}(\.\d{1,2})?$/.test(v) || Number(v) > 100) {
      ctx.addIssue({ code: 'custom', message: 'Attendance must be a percentage from 0 to 100, like 96.5' });
      return null;
    }
    return Number(v);
  });

/** The fields of a pupil record, in the order of the form and of the CSV file. */
export const recordShape = {
  mis_id: text('the MIS ID', 64),
  upn,
  legal_forename: requiredExactText('a legal first name', 100),
  preferred_forename: text('preferred first name', 100),
  surname: requiredExactText('a surname', 100),
  date_of_birth: date('date of birth', true),
  sex: oneOf('sex', Object.keys(sexLabels) as ('M' | 'F' | 'U')[], sexAliases, true),
  year_group: oneOf('a year group', yearGroups, yearAliases, true),
  admission_date: date('admission date'),
  ethnicity: oneOf('ethnicity', Object.keys(ethnicityLabels) as (keyof typeof ethnicityLabels)[]),
  first_language: text('first language', 100),
  eal: z.string().optional(),
  looked_after: yesNo('looked after'),
  service_child: yesNo('service child'),
  sen_status: oneOf('SEN status', ['N', 'K', 'E'] as const),
  sen_primary_need: oneOf('primary need', Object.keys(senNeedLabels) as (keyof typeof senNeedLabels)[]),
  sen_secondary_need: oneOf('secondary need', Object.keys(senNeedLabels) as (keyof typeof senNeedLabels)[]),
  attendance_percent: attendance,
};

export const pupilRecordSchema = z.object(recordShape).transform((r, ctx) => {
  const sen_status = r.sen_status ?? 'N';
  if (sen_status === 'N' && (r.sen_primary_need || r.sen_secondary_need)) {
    ctx.addIssue({
      code: 'custom',
      path: ['sen_primary_need'],
      message: 'A pupil with no SEN has no need codes. Choose SEN support or an EHC plan, or clear the needs',
    });
  }
  if (r.sen_secondary_need && !r.sen_primary_need) {
    ctx.addIssue({
      code: 'custom',
      path: ['sen_primary_need'],
      message: 'Give a primary need before a secondary need',
    });
  }
  if (r.date_of_birth && r.date_of_birth > today()) {
    ctx.addIssue({ code: 'custom', path: ['date_of_birth'], message: 'Date of birth must be in the past' });
  }
  // An empty EAL cell is worked out from the first language; anything else must be yes or no.
  let eal: boolean;
  if ((r.eal ?? '').trim() === '') eal = isEal(r.first_language);
  else {
    const answer = readYesNo(r.eal);
    if (answer === null) ctx.addIssue({ code: 'custom', path: ['eal'], message: 'EAL must be Y or N' });
    eal = answer ?? false;
  }
  return { ...r, sen_status, eal };
});

export type PupilRecord = z.infer<typeof pupilRecordSchema>;

/** Fields a person may change on the edit form; leaving and restriction have their own flows. */
export const editableFields = Object.keys(recordShape) as (keyof PupilRecord)[];

/** FSM periods written as "2021-09-01..2023-07-31; 2024-01-10.." (an open end means still eligible). */
export interface FsmPeriod {
  start_date: string;
  end_date: string | null;
}

export function parseFsmPeriods(input: string): { periods: FsmPeriod[]; problem?: string } {
  const periods: FsmPeriod[] = [];
  for (const part of input
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [from, to, ...rest] = part.split('..').map((p) => p.trim());
    const start = from ? parseDate(from) : null;
    const end = to ? parseDate(to) : null;
    if (rest.length || !start || (to && !end))
      return {
        periods,
        problem: `FSM period “${part}” must look like 2021-09-01..2023-07-31 (leave the end blank if still eligible)`,
      };
    if (end && end < start) return { periods, problem: `FSM period “${part}” ends before it starts` };
    periods.push({ start_date: start, end_date: end });
  }
  periods.sort((a, b) => a.start_date.localeCompare(b.start_date));
  return { periods };
}

export function formatFsmPeriods(periods: FsmPeriod[]): string {
  return [...periods]
    .sort((a, b) => a.start_date.localeCompare(b.start_date))
    .map((p) => `${p.start_date}..${p.end_date ?? ''}`)
    .join('; ');
}

/** Eligible for free school meals today. The same rule in SQL: `fsmEligibleNow` in queries.ts. */
export function fsmNow(periods: FsmPeriod[], today = new Date()): boolean {
  const day = today.toISOString().slice(0, 10);
  return periods.some((p) => p.start_date <= day && (p.end_date ?? '9999-12-31') >= day);
}

/**
 * Ever-6 (which, with looked-after and service children, gives Pupil Premium): eligible at some
 * time in the six years up to today. A period that has not started yet does not count. The same
 * rule in SQL: `fsmEligibleInLastSixYears` in queries.ts.
 */
export function everSixFsm(periods: FsmPeriod[], today = new Date()): boolean {
  const day = today.toISOString().slice(0, 10);
  const sixYearsAgo = new Date(Date.UTC(today.getUTCFullYear() - 6, today.getUTCMonth(), today.getUTCDate()))
    .toISOString()
    .slice(0, 10);
  return periods.some((p) => p.start_date <= day && (p.end_date ?? '9999-12-31') >= sixYearsAgo);
}
