import { z } from 'zod';
import { checkedValues, requiredText, optionalText, submissionKey, uuid, version } from '../../http/forms.js';
import { date, requiredExactText, text } from './record.js';
import { yearGroups } from './year-groups.js';

const blank = (v: unknown) => (v === '' ? undefined : v);

/** The list's query string: every filter optional, sort and page with defaults. */
export const listQuery = z.object({
  q: z.preprocess(blank, z.string().max(100).optional()),
  year: z.preprocess(blank, z.enum(yearGroups).optional()).catch(undefined),
  group: z.preprocess(blank, z.uuid().optional()).catch(undefined),
  sen: z.preprocess(blank, z.enum(['any', 'K', 'E', 'N']).optional()).catch(undefined),
  fsm: z.preprocess(blank, z.enum(['now', 'ever6', 'pp']).optional()).catch(undefined),
  eal: z.preprocess(blank, z.enum(['yes', 'no']).optional()).catch(undefined),
  lac: z.preprocess(blank, z.enum(['yes']).optional()).catch(undefined),
  flag: z.preprocess(blank, z.uuid().optional()).catch(undefined),
  status: z.preprocess(blank, z.enum(['on_roll', 'left', 'all']).default('on_roll')).catch('on_roll'),
  sort: z.preprocess(blank, z.enum(['name', 'year', 'dob', 'upn', 'sen', 'attendance']).default('name')).catch('name'),
  dir: z.preprocess(blank, z.enum(['asc', 'desc']).default('asc')).catch('asc'),
  page: z.preprocess(blank, z.coerce.number().int().min(1).max(100000).default(1)).catch(1),
});
export type ListQuery = z.infer<typeof listQuery>;

/** Besides the record itself (pupilRecordSchema), the pupil form carries its version or a submission key. */
export const pupilFormMeta = z.object({ version: version.optional(), submissionKey });

export const leaveForm = z.object({
  leaving_date: date('the leaving date', true),
  leaving_reason: requiredExactText('the reason for leaving', 200),
  version,
});

export const returnForm = z.object({ version });

export const contactForm = z.object({
  name: requiredExactText('the contact’s name', 200),
  relationship: requiredExactText('their relationship to the pupil', 100),
  phone: text('phone number', 50),
  email: text('email address', 254),
  address: text('address', 500),
  priority: z.coerce.number({ error: 'Priority must be a number from 1 to 99' }).int('Priority must be a whole number').min(1, 'Priority must be from 1 to 99').max(99, 'Priority must be from 1 to 99'),
  version: version.optional(),
  submissionKey,
});

export const fsmForm = z.object({
  start_date: date('the date eligibility started', true),
  end_date: date('the date eligibility ended'),
  submissionKey,
}).refine((v) => !v.end_date || !v.start_date || v.end_date >= v.start_date, { path: ['end_date'], message: 'The end date must be on or after the start date' });

export const endDateForm = z.object({ end_date: date('the end date', true) });

export const pupilFlagForm = z.object({
  flag_id: uuid.or(z.literal('').transform(() => undefined)).pipe(z.uuid('Choose a support flag')),
  start_date: date('the start date', true),
  end_date: date('the end date'),
  submissionKey,
}).refine((v) => !v.end_date || !v.start_date || v.end_date >= v.start_date, { path: ['end_date'], message: 'The end date must be on or after the start date' });

export const supportFlagForm = z.object({
  name: requiredText('a name for the flag', 100),
  description: optionalText('description', 500),
});

export const groupForm = z.object({
  name: requiredText('a name', 100),
  kind: z.enum(['class', 'set', 'intervention'], { error: 'Choose the kind of group' }),
  year_group: z.preprocess(blank, z.enum(yearGroups).optional()).transform((v) => v ?? null),
  archived: z.string().optional().transform((v) => v === 'on'),
  version: version.optional(),
  submissionKey,
});

export const addMembersForm = z.object({ pupilIds: checkedValues(uuid).pipe(z.array(z.uuid()).min(1, 'Choose at least one pupil to add')) });

export const assignStaffForm = z.object({
  userId: uuid,
  role: z.enum(['teacher', 'teaching_assistant'], { error: 'Choose teacher or teaching assistant' }),
});
