import { z } from 'zod';
import { schoolRoles } from '../../policy/index.js';
import {
  checkedValues,
  email,
  optionalText,
  requiredText,
  submissionKey,
  uuid,
  version,
  checkbox,
} from '../../http/forms.js';

export const signInForm = z.object({
  email: z
    .string()
    .transform((v) => v.trim())
    .pipe(z.string().min(1, 'Enter your email address').max(254, 'Enter your email address')),
  password: z.string().min(1, 'Enter your password').max(1024, 'Enter your password'),
  next: z.string().optional(),
});

export const chooseForm = z.object({
  context: z.string({ error: 'Choose where you are working' }).min(1, 'Choose where you are working'),
});

export const forgotForm = z.object({ email });

export const setPasswordForm = z
  .object({
    password: z.string().min(1, 'Enter a new password'),
    confirm: z.string().min(1, 'Enter the password again'),
  })
  .refine((v) => v.password === v.confirm, { path: ['confirm'], message: 'The two passwords are not the same' });

export const invitationForm = z
  .object({
    title: optionalText('title', 20),
    given_name: requiredText('your first name', 100),
    family_name: requiredText('your last name', 100),
    password: z.string().min(1, 'Enter a password'),
    confirm: z.string().min(1, 'Enter the password again'),
  })
  .refine((v) => v.password === v.confirm, { path: ['confirm'], message: 'The two passwords are not the same' });

export const changePasswordForm = z
  .object({
    currentPassword: z.string().min(1, 'Enter your current password'),
    newPassword: z.string().min(1, 'Enter a new password'),
    confirm: z.string().min(1, 'Enter the new password again'),
  })
  .refine((v) => v.newPassword === v.confirm, { path: ['confirm'], message: 'The two new passwords are not the same' });

const person = {
  email,
  title: optionalText('title', 20),
  given_name: requiredText('a first name', 100),
  family_name: requiredText('a last name', 100),
  job_title: optionalText('job title', 100),
};

export const inviteStaffForm = z.object({
  ...person,
  roles: checkedValues(z.enum(schoolRoles)).pipe(z.array(z.enum(schoolRoles)).min(1, 'Choose at least one role')),
  groupIds: checkedValues(uuid),
  submissionKey,
});

export const rolesForm = z.object({
  roles: checkedValues(z.enum(schoolRoles)).pipe(
    z.array(z.enum(schoolRoles)).min(1, 'Choose at least one role. To remove all access, disable the account instead.'),
  ),
});

export const groupsForm = z.object({ groupIds: checkedValues(uuid) });

export const settingsForm = z
  .object({
    share_with_trust: checkbox,
    share_with_la: checkbox,
    mis_import_allowed: checkbox,
    dsl_name: optionalText('the DSL’s name', 200),
    dsl_contact: optionalText('how to contact the DSL', 200),
    deputy_dsl_name: optionalText('the deputy DSL’s name', 200),
    deputy_dsl_contact: optionalText('how to contact the deputy DSL', 200),
    rule_score_one: checkbox,
    rule_drop: z
      .enum(['', '1', '2', '3'], { error: 'Choose a fall' })
      .optional()
      .transform((v) => (v ? Number(v) : null)),
    rule_safety: z
      .enum(['', '1', '2', '3'], { error: 'Choose a level' })
      .optional()
      .transform((v) => (v ? Number(v) : null)),
    version,
  })
  .transform(({ rule_score_one, rule_drop, rule_safety, ...rest }) => ({
    ...rest,
    concern_rules: { anyScoreOfOne: rule_score_one, dropOf: rule_drop, safetyDomainAtOrBelow: rule_safety },
  }));

const orgKinds = ['school', 'trust', 'local_authority'] as const;
const phases = ['nursery', 'primary', 'secondary', 'all_through', 'special'] as const;
const blankToNull = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' || v === undefined ? null : v), schema);

export const newOrganisationForm = z.object({
  kind: z.enum(orgKinds, { error: 'Choose the kind of organisation' }),
  name: requiredText('the organisation’s name', 200),
  trust_id: blankToNull(uuid.nullable()),
  la_id: blankToNull(uuid.nullable()),
  phase: blankToNull(z.enum(phases, { error: 'Choose a phase' }).nullable()),
  urn: blankToNull(
    z
      .string()
      .trim()
      .regex(/^\d{6,7}$/, 'A URN is 6 or 7 digits')
      .nullable(),
  ),
  la_code: blankToNull(
    z
      .string()
      .trim()
      .regex(/^\d{3}$/, 'An LA number is 3 digits')
      .nullable(),
  ),
  establishment_number: blankToNull(
    z
      .string()
      .trim()
      .regex(/^\d{4}$/, 'An establishment number is 4 digits')
      .nullable(),
  ),
  submissionKey,
});

export const inviteAdminForm = z.object({ ...person, submissionKey });
export const adminRequestForm = z.object({
  ...person,
  reason: requiredText('the reason for the change', 1000),
  submissionKey,
});

export const phaseLabels: Record<(typeof phases)[number], string> = {
  nursery: 'Nursery',
  primary: 'Primary',
  secondary: 'Secondary',
  all_through: 'All-through',
  special: 'Special',
};
export const orgKindLabels: Record<(typeof orgKinds)[number], string> = {
  school: 'School',
  trust: 'Multi-academy trust',
  local_authority: 'Local authority',
};
