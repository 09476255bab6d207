import type { LaRole, SchoolRole, TrustRole } from './actor.js';

/**
 * THE ROLE MATRIX. Who may do what, as data, in this one file.
 *
 * Each action lists the roles (per kind of actor) that may perform it. Which *rows* an allowed
 * actor then sees is decided by pupilScope() in index.ts and, again, by row-level security in the
 * database (migrations/*). Change the two together; the policy tests hold them to each other.
 */
export interface Grant {
  staff?: readonly SchoolRole[];
  trust?: readonly TrustRole[];
  la?: readonly LaRole[];
  operator?: true;
  parent?: true;
  /** Any signed-in user, whatever their context (their own account). */
  anyone?: true;
}

const everyone: readonly SchoolRole[] = ['school_admin', 'head', 'dsl', 'senco', 'teacher', 'teaching_assistant'];
const leaders: readonly SchoolRole[] = ['school_admin', 'head', 'dsl', 'senco'];
const teachersAndLeaders: readonly SchoolRole[] = ['school_admin', 'head', 'dsl', 'senco', 'teacher'];

export const matrix = {
  'account.manage': { anyone: true },

  // School work
  'school.dashboard': { staff: everyone },
  'pupil.list': { staff: everyone, trust: ['trust_admin', 'trust_analyst'], la: ['la_officer'] },
  'pupil.read': { staff: everyone, trust: ['trust_admin', 'trust_analyst'], la: ['la_officer'] },
  'pupil.create': { staff: leaders },
  'pupil.update': { staff: leaders },
  'pupil.leave': { staff: leaders },
  'pupil.export': { staff: teachersAndLeaders },
  'pupil.import': { staff: ['school_admin'] },
  'group.read': { staff: everyone },
  'group.manage': { staff: ['school_admin', 'head', 'senco'] },
  'group.assign_staff': { staff: ['school_admin', 'head'] },
  'support_flag.manage': { staff: ['school_admin', 'head', 'senco'] },

  // Assessments (P6, P7). Each framework also says which roles may record it.
  'assessment.read': { staff: everyone },
  'assessment.record': { staff: teachersAndLeaders },
  'observation.record': { staff: everyone },
  'note.read': { staff: everyone },
  'note.write': { staff: teachersAndLeaders },
  /** Changing a note's text: its author only (the policy checks that fact), never on a restricted record. */
  'note.edit': { staff: teachersAndLeaders },
  /** The text of restricted notes (their authors may always read their own). */
  'note.read_restricted': { staff: ['school_admin', 'head', 'dsl'] },
  'intervention.read': { staff: everyone },
  'intervention.manage': { staff: ['school_admin', 'head', 'senco'] },
  /** The provision map CSV: pupils with their latest scores and interventions (their own classes for teachers). */
  'provision.export': { staff: teachersAndLeaders },
  'dashboard.school': { staff: ['head', 'dsl', 'senco'] },
  /** The home page's list of new restricted notes and of pupils with low or falling wellbeing. */
  'safeguarding.overview': { staff: ['head', 'dsl'] },
  'framework.manage': { staff: ['school_admin'] },

  // Running the school's account
  'staff.read': { staff: ['school_admin', 'head'] },
  'staff.manage': { staff: ['school_admin'] },
  'settings.manage': { staff: ['school_admin'] },
  'audit.read': { staff: ['school_admin'] },

  // Trusts and local authorities (read-only, consenting schools only: P2, P3)
  'trust.overview': { trust: ['trust_admin', 'trust_analyst'], la: ['la_officer'] },

  // The operator manages tenants and sees no pupil data (P1)
  'operator.organisations': { operator: true },
  /** Only while the organisation has no active admin (onboarding); the policy checks that fact. */
  'operator.invite_first_admin': { operator: true },
  'operator.request_admin_change': { operator: true },

  // Parents
  'parent.portal': { parent: true },
} as const satisfies Record<string, Grant>;

export type Action = keyof typeof matrix;

/** Actions that change a pupil's record: refused for restricted records (P29), whatever the role. */
export const recordChangingActions: readonly Action[] = [
  'pupil.create',
  'pupil.update',
  'pupil.leave',
  'pupil.import',
  'group.manage',
  'group.assign_staff',
  'support_flag.manage',
  'staff.manage',
  'settings.manage',
  'assessment.record',
  'observation.record',
  'note.write',
  'note.edit',
  'intervention.manage',
  'framework.manage',
];

/**
 * Roles that see every pupil of their school; other staff see the pupils of the groups they work
 * with now. Row-level security holds the same list (migrations: `app_roles() && array[...]`).
 */
export const wholeSchoolRoles: readonly SchoolRole[] = leaders;
