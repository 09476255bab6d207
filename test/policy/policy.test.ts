import { expect } from 'chai';
import {
  type Action,
  type Actor,
  assert,
  assertStaff,
  can,
  PolicyDenied,
  pupilScope,
  type Resource,
  type SchoolRole,
  type StaffActor,
  systemActor,
} from '../../src/policy/index.js';
import { matrix, recordChangingActions } from '../../src/policy/matrix.js';

/**
 * The policy as tables: role × action → allow/deny for the whole matrix, then the rules that
 * answer from resource facts (restricted records, note authorship and sensitivity, framework
 * recorders, group assignment, school sharing, onboarding). Pure: no database, no HTTP.
 */

const meta = {};
const staff = (role: SchoolRole, userId = `u-${role}`): StaffActor => ({
  kind: 'staff',
  userId,
  schoolId: 'school-a',
  roles: [role],
  meta,
});
const actors = {
  school_admin: staff('school_admin'),
  head: staff('head'),
  dsl: staff('dsl'),
  senco: staff('senco'),
  teacher: staff('teacher'),
  teaching_assistant: staff('teaching_assistant'),
  trust_admin: { kind: 'trust', userId: 'u-trust-admin', orgId: 'trust-1', roles: ['trust_admin'], meta },
  trust_analyst: { kind: 'trust', userId: 'u-trust-analyst', orgId: 'trust-1', roles: ['trust_analyst'], meta },
  la_officer: { kind: 'la', userId: 'u-la', orgId: 'la-1', roles: ['la_officer'], meta },
  operator: { kind: 'operator', userId: 'u-operator', meta },
  parent: { kind: 'parent', userId: 'u-parent', meta },
  self: { kind: 'self', userId: 'u-self', meta },
  system: systemActor('test'),
} satisfies Record<string, Actor>;
type Who = keyof typeof actors;
const columns = Object.keys(actors) as Who[];

// Columns:               admin head dsl senco teacher ta | t.admin t.analyst la | operator parent self system
const expected: Record<Action, string> = {
  'account.manage': '      Y Y Y Y Y Y   Y Y Y   Y Y Y -',
  'school.dashboard': '    Y Y Y Y Y Y   - - -   - - - -',
  'pupil.list': '          Y Y Y Y Y Y   Y Y Y   - - - -',
  'pupil.read': '          Y Y Y Y Y Y   Y Y Y   - - - -',
  'pupil.create': '        Y Y Y Y - -   - - -   - - - -',
  'pupil.update': '        Y Y Y Y - -   - - -   - - - -',
  'pupil.leave': '         Y Y Y Y - -   - - -   - - - -',
  'pupil.export': '        Y Y Y Y Y -   - - -   - - - -',
  'pupil.import': '        Y - - - - -   - - -   - - - -',
  'group.read': '          Y Y Y Y Y Y   - - -   - - - -',
  'group.manage': '        Y Y - Y - -   - - -   - - - -',
  'group.assign_staff': '  Y Y - - - -   - - -   - - - -',
  'support_flag.manage': ' Y Y - Y - -   - - -   - - - -',
  'assessment.read': '     Y Y Y Y Y Y   - - -   - - - -',
  'assessment.record': '   Y Y Y Y Y -   - - -   - - - -',
  'observation.record': '  Y Y Y Y Y Y   - - -   - - - -',
  'note.read': '           Y Y Y Y Y Y   - - -   - - - -',
  'note.write': '          Y Y Y Y Y -   - - -   - - - -',
  'note.edit': '           Y Y Y Y Y -   - - -   - - - -',
  'note.read_restricted': 'Y Y Y - - -   - - -   - - - -',
  'intervention.read': '   Y Y Y Y Y Y   - - -   - - - -',
  'intervention.manage': ' Y Y - Y - -   - - -   - - - -',
  'provision.export': '    Y Y Y Y Y -   - - -   - - - -',
  'dashboard.school': '    - Y Y Y - -   - - -   - - - -',
  'safeguarding.overview': '- Y Y - - -   - - -   - - - -',
  'framework.manage': '    Y - - - - -   - - -   - - - -',
  'staff.read': '          Y Y - - - -   - - -   - - - -',
  'staff.manage': '        Y - - - - -   - - -   - - - -',
  'settings.manage': '     Y - - - - -   - - -   - - - -',
  'audit.read': '          Y - - - - -   - - -   - - - -',
  'trust.overview': '      - - - - - -   Y Y Y   - - - -',
  'operator.organisations': '- - - - - -   - - -   Y - - -',
  'operator.invite_first_admin': '- - - - - -   - - -   Y - - -',
  'operator.request_admin_change': '- - - - - -   - - -   Y - - -',
  'parent.portal': '       - - - - - -   - - -   - Y - -',
};

/** Facts that satisfy an action's fact rules, so the matrix table tests the roles alone. */
const satisfying: Partial<Record<Action, (actor: Actor) => Resource>> = {
  'note.edit': (actor) => ({ authorId: 'userId' in actor ? actor.userId : 'nobody' }),
  'operator.invite_first_admin': () => ({ orgHasActiveAdmin: false }),
};

function reasonOf(actor: Actor, action: Action, resource: Resource = {}): string | null {
  try {
    assert(actor, action, resource);
    return null;
  } catch (err) {
    if (err instanceof PolicyDenied) return err.reason;
    throw err;
  }
}

describe('Policy: role × action, the whole matrix', () => {
  it('the table has one row per action in the matrix, and one column per kind of actor', () => {
    expect(Object.keys(expected).sort()).to.deep.equal(Object.keys(matrix).sort());
    for (const [action, row] of Object.entries(expected))
      expect(row.trim().split(/\s+/), action).to.have.length(columns.length);
  });

  for (const [action, row] of Object.entries(expected) as [Action, string][]) {
    const cells = row.trim().split(/\s+/);
    it(`${action}: ${columns.filter((_, i) => cells[i] === 'Y').join(', ') || 'nobody'}`, () => {
      columns.forEach((who, i) => {
        const actor = actors[who];
        const facts = satisfying[action]?.(actor) ?? {};
        expect(can(actor, action, facts), `${who} ${action}`).to.equal(cells[i] === 'Y');
        if (cells[i] !== 'Y') expect(reasonOf(actor, action, facts), `${who} ${action}`).to.equal('role');
      });
    });
  }
});

interface FactCase {
  who: Who;
  action: Action;
  facts: Resource;
  /** null: allowed; otherwise the reason the policy gives. */
  denied: string | null;
}

const teacherId = actors.teacher.userId;
const group = (staffIds: string[], archived = false) => ({ group: { staffIds, archived } });
const factCases: Record<string, FactCase[]> = {
  'tenancy: staff act only in their own school': [
    { who: 'head', action: 'pupil.read', facts: { schoolId: 'school-a' }, denied: null },
    { who: 'head', action: 'pupil.read', facts: { schoolId: 'school-b' }, denied: 'other school' },
    { who: 'school_admin', action: 'pupil.update', facts: { schoolId: 'school-b' }, denied: 'other school' },
  ],
  'P29: a restricted record is read, never changed, and never shared': [
    { who: 'head', action: 'pupil.read', facts: { restricted: true }, denied: null },
    { who: 'teacher', action: 'note.read', facts: { restricted: true }, denied: null },
    { who: 'head', action: 'pupil.update', facts: { restricted: true }, denied: 'restricted record is read-only' },
    {
      who: 'trust_admin',
      action: 'pupil.read',
      facts: { restricted: true },
      denied: 'restricted record is not shared',
    },
    { who: 'la_officer', action: 'pupil.list', facts: { restricted: true }, denied: 'restricted record is not shared' },
    ...recordChangingActions.map((action): FactCase => {
      const who = columns.find((c) => can(actors[c], action, satisfying[action]?.(actors[c]) ?? {}))!;
      const facts = { ...satisfying[action]?.(actors[who]), restricted: true };
      return { who, action, facts, denied: 'restricted record is read-only' };
    }),
  ],
  'P29 and notes: only the author changes a note, and not on a restricted record': [
    { who: 'teacher', action: 'note.edit', facts: { authorId: teacherId }, denied: null },
    {
      who: 'teacher',
      action: 'note.edit',
      facts: { authorId: 'someone-else' },
      denied: 'only the author may change a note',
    },
    { who: 'head', action: 'note.edit', facts: { authorId: teacherId }, denied: 'only the author may change a note' },
    { who: 'teacher', action: 'note.edit', facts: {}, denied: 'only the author may change a note' },
    {
      who: 'teacher',
      action: 'note.edit',
      facts: { authorId: teacherId, restricted: true },
      denied: 'restricted record is read-only',
    },
    { who: 'teaching_assistant', action: 'note.edit', facts: { authorId: 'u-teaching_assistant' }, denied: 'role' },
  ],
  'notes: the text of a restricted note is for the DSL, head, admin and its author': [
    ...(['school_admin', 'head', 'dsl'] as const).map((who): FactCase => ({
      who,
      action: 'note.read',
      facts: { sensitivity: 'restricted', authorId: teacherId },
      denied: null,
    })),
    ...(['senco', 'teaching_assistant'] as const).map((who): FactCase => ({
      who,
      action: 'note.read',
      facts: { sensitivity: 'restricted', authorId: teacherId },
      denied: 'restricted note text is for the DSL, head, admin and author',
    })),
    { who: 'teacher', action: 'note.read', facts: { sensitivity: 'restricted', authorId: teacherId }, denied: null },
    { who: 'senco', action: 'note.read', facts: { sensitivity: 'restricted', authorId: 'u-senco' }, denied: null },
    {
      who: 'teaching_assistant',
      action: 'note.read',
      facts: { sensitivity: 'standard', authorId: teacherId },
      denied: null,
    },
    { who: 'trust_admin', action: 'note.read', facts: { sensitivity: 'standard' }, denied: 'role' },
  ],
  'P6: each framework says which roles record it': [
    { who: 'teacher', action: 'assessment.record', facts: { recordedBy: ['teacher'] }, denied: null },
    {
      who: 'senco',
      action: 'assessment.record',
      facts: { recordedBy: ['school_admin', 'head', 'dsl', 'senco', 'teacher'] },
      denied: null,
    },
    {
      who: 'teacher',
      action: 'assessment.record',
      facts: { recordedBy: ['head', 'dsl'] },
      denied: 'framework not recordable by this role',
    },
    {
      who: 'head',
      action: 'assessment.record',
      facts: { recordedBy: ['teacher'] },
      denied: 'framework not recordable by this role',
    },
    {
      who: 'teaching_assistant',
      action: 'assessment.record',
      facts: { recordedBy: ['teaching_assistant'] },
      denied: 'role',
    },
    {
      who: 'teacher',
      action: 'assessment.record',
      facts: { recordedBy: ['teacher'], restricted: true },
      denied: 'restricted record is read-only',
    },
  ],
  'groups: staff who do not see the whole school open only the current groups they work with': [
    { who: 'teacher', action: 'group.read', facts: group([teacherId]), denied: null },
    {
      who: 'teaching_assistant',
      action: 'group.read',
      facts: group(['u-teaching_assistant', teacherId]),
      denied: null,
    },
    { who: 'teacher', action: 'group.read', facts: group(['u-someone']), denied: 'not assigned to this group' },
    { who: 'teaching_assistant', action: 'group.read', facts: group([]), denied: 'not assigned to this group' },
    { who: 'teacher', action: 'group.read', facts: group([teacherId], true), denied: 'group is archived' },
    ...(['school_admin', 'head', 'dsl', 'senco'] as const).map((who): FactCase => ({
      who,
      action: 'group.read',
      facts: group([], true),
      denied: null,
    })),
  ],
  'P2 and P3: a trust or LA sees a school only while it shares with them': [
    { who: 'trust_admin', action: 'pupil.list', facts: { sharesWithActor: true }, denied: null },
    {
      who: 'trust_analyst',
      action: 'pupil.list',
      facts: { sharesWithActor: false },
      denied: 'school does not share with this organisation',
    },
    {
      who: 'la_officer',
      action: 'pupil.read',
      facts: { sharesWithActor: false },
      denied: 'school does not share with this organisation',
    },
    { who: 'head', action: 'pupil.list', facts: { sharesWithActor: false }, denied: null },
  ],
  'P1: the operator invites a first admin only while the organisation has none': [
    { who: 'operator', action: 'operator.invite_first_admin', facts: { orgHasActiveAdmin: false }, denied: null },
    {
      who: 'operator',
      action: 'operator.invite_first_admin',
      facts: { orgHasActiveAdmin: true },
      denied: 'the organisation has an active admin',
    },
    {
      who: 'operator',
      action: 'operator.invite_first_admin',
      facts: {},
      denied: 'the organisation has an active admin',
    },
    { who: 'school_admin', action: 'operator.invite_first_admin', facts: { orgHasActiveAdmin: false }, denied: 'role' },
  ],
};

describe('Policy: the rules that answer from resource facts', () => {
  for (const [title, cases] of Object.entries(factCases)) {
    it(title, () => {
      for (const c of cases) {
        const label = `${c.who} ${c.action} ${JSON.stringify(c.facts)}`;
        expect(reasonOf(actors[c.who], c.action, c.facts), label).to.equal(c.denied);
        expect(can(actors[c.who], c.action, c.facts), label).to.equal(c.denied === null);
      }
    });
  }

  it('assertStaff narrows to staff and refuses everyone else, even where the matrix allows them', () => {
    expect(assertStaff(actors.teacher, 'pupil.read')).to.equal(actors.teacher);
    expect(() => assertStaff(actors.trust_admin, 'pupil.read')).to.throw(PolicyDenied, 'staff only');
    expect(() => assertStaff(actors.teaching_assistant, 'note.write')).to.throw(PolicyDenied, 'role');
  });
});

describe('Policy: which pupil rows each actor sees', () => {
  const scopes: [Who, string][] = [
    ['school_admin', 'school'],
    ['head', 'school'],
    ['dsl', 'school'],
    ['senco', 'school'],
    ['teacher', 'taught'],
    ['teaching_assistant', 'taught'],
    ['trust_admin', 'shared'],
    ['trust_analyst', 'shared'],
    ['la_officer', 'shared'],
    ['parent', 'parent'],
    ['operator', 'none'],
    ['self', 'none'],
    ['system', 'none'],
  ];
  it('leaders see the school, other staff the pupils they teach, trusts and LAs what is shared, parents their children, the rest nothing', () => {
    expect(scopes.map(([who]) => who).sort()).to.deep.equal([...columns].sort());
    for (const [who, kind] of scopes) expect(pupilScope(actors[who]).kind, who).to.equal(kind);
    expect(pupilScope(staff('teacher', 'u-1'))).to.deep.equal({ kind: 'taught', schoolId: 'school-a', userId: 'u-1' });
    expect(pupilScope(actors.la_officer)).to.deep.equal({ kind: 'shared', orgId: 'la-1', via: 'la' });
    expect(pupilScope({ kind: 'staff', userId: 'u-2', schoolId: 'school-a', roles: [], meta })).to.deep.equal({
      kind: 'none',
    });
  });
});
