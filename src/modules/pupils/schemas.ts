import { z } from 'zod';
import { checkedValues, requiredText, optionalText, submissionKey, uuid, version } from '../../http/forms.js';
import { queryChoice, queryText, queryUuid, queryWholeNumber } from '../../http/query.js';
import { date, requiredExactText, text } from '../../lib/form-fields.js';
import { emptyAsUndefined as blank } from '../../lib/text.js';
import { yearGroups } from '../../lib/year-groups.js';

/** The list's query string (I4): every filter optional, sort and page with defaults. */
export const listQuery = z.object({
  q: queryText('name, UPN or MIS ID'),
  year: queryChoice('year group', yearGroups),
  group: queryUuid('class or group'),
  sen: queryChoice('SEN option', ['any', 'K', 'E', 'N'], 'Choose an SEN option from the list'),
  fsm: queryChoice(
    'FSM or Pupil Premium option',
    ['now', 'ever6', 'pp'],
    'Choose an FSM or Pupil Premium option from the list',
  ),
  eal: queryChoice('EAL option', ['yes', 'no'], 'Choose an EAL option from the list'),
  lac: queryChoice('looked-after option', ['yes']),
  flag: queryUuid('support flag'),
  status: queryChoice('on roll option', ['on_roll', 'left', 'all'], 'Choose on roll, left or everyone').default(
    'on_roll',
  ),
  sort: queryChoice('column to sort by', ['name', 'year', 'dob', 'upn', 'sen', 'attendance']).default('name'),
  dir: queryChoice('sort direction', ['asc', 'desc']).default('asc'),
  page: queryWholeNumber('the page number', 100000).default(1),
});
/** The fields of the list's filter form; sort, direction and page come from links. */
export const listFormFields = ['q', 'year', 'group', 'sen', 'fsm', 'eal', 'lac', 'flag', 'status'] as const;
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
  priority: z.coerce
    .number({ error: 'Priority must be a number from 1 to 99' })
    .int('Priority must be a whole number')
    .min(1, 'Priority must be from 1 to 99')
    .max(99, 'Priority must be from 1 to 99'),
  version: version.optional(),
  submissionKey,
});

export const fsmForm = z
  .object({
    start_date: date('the date eligibility started', true),
    end_date: date('the date eligibility ended'),
    submissionKey,
  })
  .refine((v) => !v.end_date || !v.start_date || v.end_date >= v.start_date, {
    path: ['end_date'],
    message: 'The end date must be on or after the start date',
  });

export const endDateForm = z.object({ end_date: date('the end date', true) });

export const pupilFlagForm = z
  .object({
    flag_id: uuid.or(z.literal('').transform(() => undefined)).pipe(z.uuid('Choose a support flag')),
    start_date: date('the start date', true),
    end_date: date('the end date'),
    submissionKey,
  })
  .refine((v) => !v.end_date || !v.start_date || v.end_date >= v.start_date, {
    path: ['end_date'],
    message: 'The end date must be on or after the start date',
  });

export const supportFlagForm = z.object({
  name: requiredText('a name for the flag', 100),
  description: optionalText('description', 500),
});

export const groupForm = z.object({
  name: requiredText('a name', 100),
  kind: z.enum(['class', 'set', 'intervention'], { error: 'Choose the kind of group' }),
  year_group: z.preprocess(blank, z.enum(yearGroups).optional()).transform((v) => v ?? null),
  archived: z
    .string()
    .optional()
    .transform((v) => v === 'on'),
  version: version.optional(),
  submissionKey,
});

export const addMembersForm = z.object({
  pupilIds: checkedValues(uuid).pipe(z.array(z.uuid()).min(1, 'Choose at least one pupil to add')),
});

export const assignStaffForm = z.object({
  userId: uuid,
  role: z.enum(['teacher', 'teaching_assistant'], { error: 'Choose teacher or teaching assistant' }),
});

/** The class page's query (I4): the term shown, the order, whether to search for pupils to add. */
export const groupPageQuery = z.object({
  term: queryUuid('term'),
  sort: queryChoice('order', ['name'], 'Choose an order from the list'),
  add: queryChoice('link to add pupils', ['1'], 'The link to add pupils is not valid'),
});
/** The class page's "add pupils" search form, and its fields. */
export const groupAddQuery = z.object({ add_q: queryText('name'), add_year: queryChoice('year group', yearGroups) });
export const groupAddFields = ['add_q', 'add_year'] as const;

export const groupsQuery = z.object({
  archived: queryChoice('archived option', ['1'], 'The link to archived groups is not valid'),
});
