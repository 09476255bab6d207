import { z } from 'zod';
import { ethnicityLabels, isEal, senNeedLabels, sexLabels } from './reference.js';
import { checkUpn } from './upn.js';
import { yearGroups, type YearGroup } from './year-groups.js';

/**
 * One pupil record as people and MIS files write it (strings), validated into stored values.
 * The edit form and the CSV import both use this, so they accept and refuse the same things.
 * Text is stored exactly as typed: never trimmed or "fixed", so what goes in comes back out.
 */

const storable = (v: string) => !v.includes('\u0000');

function checkedText(label: string, max: number, required: boolean) {
  return z
    .string()
    .optional()
    .transform((v) => v ?? '')
    .superRefine((v, ctx) => {
      if (required && v.trim() === '') ctx.addIssue({ code: 'custom', message: `Enter ${label}` });
      else if ([...v].length > max)
        ctx.addIssue({ code: 'custom', message: `${cap(label)} must be ${max} characters or fewer` });
      else if (!storable(v))
        ctx.addIssue({ code: 'custom', message: `${cap(label)} contains a character that cannot be stored` });
    });
}

/** Optional free text: empty becomes null; anything else (even only spaces) is kept exactly as typed. */
export function text(label: string, max: number) {
  return checkedText(label, max, false).transform((v) => (v === '' ? null : v));
}

/** Required free text: must contain something besides spaces; kept exactly as typed. */
export function requiredExactText(label: string, max: number) {
  return checkedText(label, max, true);
}

/** "a surname" → "Surname", for messages that name the field. */
const cap = (s: string) => {
  const bare = s.replace(/^(a|an|the) /, '');
  return bare.charAt(0).toUpperCase() + bare.slice(1);
};

/** A date written as dd/mm/yyyy (what people and MIS exports use) or yyyy-mm-dd. Returns ISO. */
export function parseDate(input: string): string | null {
  const v = input.trim();
  let y: number, m: number, d: number;
  let match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(v);
  if (match) [d, m, y] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else if ((match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v)))
    [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return date.toISOString().slice(0, 10);
}

export function date(label: string, required = false) {
  return z
    .string()
    .optional()
    .transform((v) => (v ?? '').trim())
    .transform((v, ctx) => {
      if (v === '') {
        if (required) ctx.addIssue({ code: 'custom', message: `Enter ${label}` });
        return null;
      }
      const iso = parseDate(v);
      if (!iso) {
        ctx.addIssue({
          code: 'custom',
          message: /^\d{1,2}\/\d{1,2}\/\d{4}$|^\d{4}-\d{2}-\d{2}$/.test(v)
            ? `${cap(label)} must be a real date (${v} does not exist)`
            : `${cap(label)} must be a date like 27/03/2019`,
        });
        return null;
      }
      return iso;
    });
}

const yes = new Set(['y', 'yes', 'true', '1', 'on']);
const no = new Set(['', 'n', 'no', 'false', '0', 'off']);

export function yesNo(label: string) {
  return z
    .string()
    .optional()
    .transform((v) => (v ?? '').trim().toLowerCase())
    .transform((v, ctx) => {
      if (yes.has(v)) return true;
      if (!no.has(v)) ctx.addIssue({ code: 'custom', message: `${cap(label)} must be Y or N` });
      return false;
    });
}

function oneOf<T extends string>(
  label: string,
  allowed: readonly T[],
  aliases: Record<string, T> = {},
  required = false,
) {
  return z
    .string()
    .optional()
    .transform((v) => (v ?? '').trim())
    .transform((v, ctx): T | null => {
      if (v === '') {
        if (required) ctx.addIssue({ code: 'custom', message: `Choose ${label}` });
        return null;
      }
      const found = allowed.find((a) => a.toLowerCase() === v.toLowerCase()) ?? aliases[v.toLowerCase()];
      if (!found) ctx.addIssue({ code: 'custom', message: `${cap(label)} “${v}” is not one of ${allowed.join(', ')}` });
      return found ?? null;
    });
}

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
  if (r.date_of_birth && r.date_of_birth > new Date().toISOString().slice(0, 10)) {
    ctx.addIssue({ code: 'custom', path: ['date_of_birth'], message: 'Date of birth must be in the past' });
  }
  const ealRaw = (r.eal ?? '').trim().toLowerCase();
  let eal: boolean;
  if (ealRaw === '') eal = isEal(r.first_language);
  else if (yes.has(ealRaw)) eal = true;
  else if (no.has(ealRaw)) eal = false;
  else {
    ctx.addIssue({ code: 'custom', path: ['eal'], message: 'EAL must be Y or N' });
    eal = false;
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
