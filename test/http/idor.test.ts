import { expect } from 'chai';
import { type Browser, startTestApp, type TestApp } from '../helpers/app.js';
import { demoIds } from '../helpers/demo.js';

/**
 * A1: every route × every demo role (and anonymous) → the expected status, with no data leaking
 * into refusals. When a route is added, add its row here; the last test fails until you do.
 * POST bodies are valid, so that the policy (not validation) answers; targets that permitted
 * roles would change are ids that do not exist, so those roles get 404.
 */
type Role =
  'anon' | 'operator' | 'trust' | 'la' | 'admin' | 'head' | 'dsl' | 'senco' | 'teacher' | 'ta' | 'otherHead' | 'parent';
const roles: Record<Exclude<Role, 'anon'>, string> = {
  operator: 'operator@waypoint.test',
  trust: 'trust.admin@northstar.test',
  la: 'officer@westshire.test',
  admin: 'admin@oakfield.test',
  head: 'head@oakfield.test',
  dsl: 'dsl@oakfield.test',
  senco: 'senco@oakfield.test',
  teacher: 'teacher@oakfield.test',
  ta: 'ta@oakfield.test',
  otherHead: 'head@riverside.test',
  parent: 'parent@oakfield.test',
};
const allRoles = ['anon', ...Object.keys(roles)] as Role[];
const staffRoles: Role[] = ['admin', 'head', 'dsl', 'senco', 'teacher', 'ta', 'otherHead'];
const nobody = '11111111-2222-4333-8444-555555555555';

interface Row {
  method: 'GET' | 'POST';
  path: string;
  /** Status per role; `default` for the rest. */
  expect: Partial<Record<Role, number>> & { default: number };
  form?: Record<string, string | string[]> | ((role: Role) => Record<string, string | string[]>);
}

/** Every route the app has, as `METHOD /path/:param`. */
function routesOf(app: TestApp): string[] {
  const found: string[] = [];
  const stack = (app.waypoint.app as unknown as { router: { stack: Layer[] } }).router.stack;
  type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };
  const walk = (layers: Layer[]) => {
    for (const l of layers) {
      if (l.route) for (const m of Object.keys(l.route.methods)) found.push(`${m.toUpperCase()} ${l.route.path}`);
      else if (l.handle?.stack) walk(l.handle.stack);
    }
  };
  walk(stack);
  return [...new Set(found)].sort();
}

describe('A1: route × role access matrix', () => {
  let app: TestApp;
  let rows: Row[];
  const browsers = new Map<Role, Browser>();

  before(async () => {
    app = await startTestApp();
    const ids = await demoIds(app.database.su);
    const group = async (school: string, name: string) =>
      (await app.database.su('groups').where({ school_id: school, name }).first()).id;
    const oakClass = await group(ids.oakfield, '3 Oak');
    const riversideClass = await group(ids.riverside, '4 Willow');
    const teacherId = ids.user('teacher@oakfield.test');
    const oakPupil = (await app.database.su('group_members').where({ group_id: oakClass }).first()).pupil_id;
    const oakOther = (
      await app.database
        .su('pupils')
        .where({ school_id: ids.oakfield })
        .whereNotIn('id', app.database.su('group_members').where({ group_id: oakClass }).select('pupil_id'))
        .first()
    ).id;
    const oakContact = (await app.database.su('pupil_contacts').where({ pupil_id: oakPupil }).first()).id;
    const importId = (
      await app.database
        .su('import_files')
        .insert({
          school_id: ids.oakfield,
          uploaded_by: ids.user('admin@oakfield.test'),
          filename: 'x.csv',
          content: Buffer.from('mis_id,legal_forename,surname,date_of_birth,sex,year_group\n'),
          size_bytes: 60,
          sha256: 'x',
          mode: 'update',
        })
        .returning('id')
    )[0].id;
    const leaders: Partial<Record<Role, number>> = { admin: 200, head: 200, dsl: 200, senco: 200 };
    const staffRead = { anon: 303, ...leaders, teacher: 200, ta: 200, otherHead: 404, default: 403 };
    const editPage = { anon: 303, ...leaders, otherHead: 404, default: 403 };
    const changeRow = (okStatus: number) => ({
      anon: 401,
      admin: okStatus,
      head: okStatus,
      dsl: okStatus,
      senco: okStatus,
      otherHead: okStatus,
      default: 403,
    });
    const groupManagers = (okStatus: number, other = okStatus) => ({
      anon: 401,
      admin: okStatus,
      head: okStatus,
      senco: okStatus,
      otherHead: other,
      default: 403,
    });
    const groupStaffing = (okStatus: number) => ({
      anon: 401,
      admin: okStatus,
      head: okStatus,
      otherHead: okStatus,
      default: 403,
    });
    const importers = (okStatus: number, other = okStatus) => ({
      anon: 401,
      admin: okStatus,
      otherHead: other,
      default: 403,
    });
    const oakWellbeing = (
      await app.database.su('frameworks').where({ school_id: ids.oakfield, kind: 'wellbeing' }).first()
    ).id;
    const oakIntervention = (await app.database.su('interventions').where({ school_id: ids.oakfield }).first()).id;
    const teacherNote = await app.database.su('notes').where({ author_id: teacherId }).first();
    const notePupil = teacherNote.pupil_id;
    const oakStaff = { ...leaders, teacher: 200, ta: 200 };
    const frameworkAdmin = (okStatus: number, other = okStatus) => ({
      anon: 401,
      admin: okStatus,
      otherHead: other,
      default: 403,
    });
    const recorders = (okStatus: number) => ({
      anon: 401,
      ...Object.fromEntries(['admin', 'head', 'dsl', 'senco', 'teacher', 'otherHead'].map((r) => [r, okStatus])),
      default: 403,
    });
    const noteWriters = recorders;
    const observers = (okStatus: number) => ({ ...recorders(okStatus), ta: okStatus });
    const interventionManagers = (okStatus: number, other = okStatus) => ({
      anon: 401,
      admin: okStatus,
      head: okStatus,
      senco: okStatus,
      otherHead: other,
      default: 403,
    });
    const pupilForm = (role: Role) => ({
      legal_forename: 'Matrix',
      surname: `Pupil ${role}`,
      date_of_birth: '01/02/2019',
      sex: 'M',
      year_group: '3',
      sen_status: 'N',
    });
    const anonRedirect = { anon: 303 };
    const signedInOnly = { anon: 303, default: 200 };
    rows = [
      { method: 'GET', path: '/healthz', expect: { default: 200 } },
      { method: 'GET', path: '/readyz', expect: { default: 200 } },
      {
        method: 'GET',
        path: '/',
        expect: { ...anonRedirect, operator: 303, trust: 303, la: 303, parent: 303, default: 200 },
      },
      { method: 'GET', path: '/sign-in', expect: { anon: 200, default: 303 } },
      { method: 'GET', path: '/signed-out', expect: { anon: 200, default: 303 } },
      { method: 'GET', path: '/forgot-password', expect: { default: 200 } },
      { method: 'GET', path: '/reset-password', expect: { default: 410 } },
      { method: 'GET', path: `/reset-password/${'x'.repeat(43)}`, expect: { default: 303 } },
      { method: 'GET', path: '/invitation', expect: { default: 410 } },
      { method: 'GET', path: `/invitations/${'x'.repeat(43)}`, expect: { default: 303 } },
      { method: 'GET', path: '/choose', expect: signedInOnly },
      { method: 'GET', path: '/account', expect: signedInOnly },
      {
        method: 'GET',
        path: '/staff',
        expect: { ...anonRedirect, admin: 200, head: 200, otherHead: 200, default: 403 },
      },
      { method: 'GET', path: '/staff/invite', expect: { ...anonRedirect, admin: 200, otherHead: 200, default: 403 } },
      {
        method: 'GET',
        path: `/staff/${teacherId}`,
        expect: { ...anonRedirect, admin: 200, head: 200, otherHead: 404, default: 403 },
      },
      { method: 'GET', path: '/settings', expect: { ...anonRedirect, admin: 200, otherHead: 200, default: 403 } },
      { method: 'GET', path: '/audit', expect: { ...anonRedirect, admin: 200, otherHead: 200, default: 403 } },
      { method: 'GET', path: '/operator', expect: { ...anonRedirect, operator: 200, default: 403 } },
      { method: 'GET', path: '/operator/organisations/new', expect: { ...anonRedirect, operator: 200, default: 403 } },
      {
        method: 'GET',
        path: `/operator/organisations/${ids.oakfield}`,
        expect: { ...anonRedirect, operator: 200, default: 403 },
      },
      { method: 'GET', path: '/trust', expect: { ...anonRedirect, trust: 200, la: 200, default: 403 } },
      {
        method: 'GET',
        path: `/trust/schools/${ids.oakfield}`,
        expect: { ...anonRedirect, trust: 200, la: 404, default: 403 },
      },
      {
        method: 'GET',
        path: `/trust/schools/${ids.riverside}`,
        expect: { ...anonRedirect, trust: 403, la: 404, default: 403 },
      },
      {
        method: 'GET',
        path: `/trust/schools/${ids.hillcrest}`,
        expect: { ...anonRedirect, trust: 404, la: 200, default: 403 },
      },
      {
        method: 'GET',
        path: `/groups/${oakClass}`,
        expect: {
          ...anonRedirect,
          admin: 200,
          head: 200,
          dsl: 200,
          senco: 200,
          teacher: 200,
          ta: 200,
          otherHead: 404,
          default: 403,
        },
      },
      {
        method: 'GET',
        path: `/groups/${riversideClass}`,
        expect: {
          ...anonRedirect,
          admin: 404,
          head: 404,
          dsl: 404,
          senco: 404,
          teacher: 404,
          ta: 404,
          otherHead: 200,
          default: 403,
        },
      },
      { method: 'GET', path: '/parent', expect: { ...anonRedirect, parent: 200, default: 403 } },
      {
        method: 'GET',
        path: '/pupils',
        expect: { ...anonRedirect, ...Object.fromEntries(staffRoles.map((r) => [r, 200])), default: 403 },
      },
      {
        method: 'GET',
        path: '/pupils/export.csv',
        expect: { ...anonRedirect, ...leaders, teacher: 200, otherHead: 200, default: 403 },
      },
      {
        method: 'GET',
        path: '/provision-map.csv',
        expect: { ...anonRedirect, ...leaders, teacher: 200, otherHead: 200, default: 403 },
      },
      {
        method: 'GET',
        path: `/provision-map.csv?group=${oakClass}`,
        expect: { ...anonRedirect, ...leaders, teacher: 200, otherHead: 404, default: 403 },
      },
      { method: 'GET', path: '/pupils/new', expect: { ...anonRedirect, ...leaders, otherHead: 200, default: 403 } },
      { method: 'GET', path: `/pupils/${oakPupil}`, expect: staffRead },
      { method: 'GET', path: `/pupils/${oakOther}`, expect: { ...staffRead, teacher: 404, ta: 404 } },
      { method: 'GET', path: `/pupils/${oakPupil}/print`, expect: staffRead },
      { method: 'GET', path: `/pupils/${oakPupil}/edit`, expect: editPage },
      { method: 'GET', path: `/pupils/${oakPupil}/contacts/${oakContact}/edit`, expect: editPage },
      {
        method: 'GET',
        path: '/support-flags',
        expect: { ...anonRedirect, admin: 200, head: 200, senco: 200, otherHead: 200, default: 403 },
      },
      {
        method: 'GET',
        path: '/groups',
        expect: { ...anonRedirect, admin: 200, head: 200, senco: 200, otherHead: 200, default: 403 },
      },
      {
        method: 'GET',
        path: '/groups/new',
        expect: { ...anonRedirect, admin: 200, head: 200, senco: 200, otherHead: 200, default: 403 },
      },
      {
        method: 'GET',
        path: `/groups/${oakClass}/edit`,
        expect: { ...anonRedirect, admin: 200, head: 200, senco: 200, otherHead: 404, default: 403 },
      },
      { method: 'GET', path: '/pupils/import', expect: { ...anonRedirect, admin: 200, otherHead: 200, default: 403 } },
      {
        method: 'GET',
        path: '/pupils/import/sample.csv',
        expect: { ...anonRedirect, admin: 200, otherHead: 200, default: 403 },
      },
      {
        method: 'GET',
        path: `/pupils/import/${importId}`,
        expect: { ...anonRedirect, admin: 200, otherHead: 404, default: 403 },
      },
      {
        method: 'GET',
        path: `/pupils/import/${importId}/errors.csv`,
        expect: { ...anonRedirect, admin: 200, otherHead: 404, default: 403 },
      },
      { method: 'GET', path: '/no-such-page', expect: { default: 404 } },
      {
        method: 'GET',
        path: '/dashboard',
        expect: { anon: 303, head: 200, dsl: 200, senco: 200, otherHead: 200, default: 403 },
      },
      { method: 'GET', path: '/frameworks', expect: { anon: 303, admin: 200, otherHead: 200, default: 403 } },
      { method: 'GET', path: '/frameworks/new', expect: { anon: 303, admin: 200, otherHead: 200, default: 403 } },
      {
        method: 'GET',
        path: `/frameworks/${oakWellbeing}`,
        expect: { anon: 303, admin: 200, otherHead: 404, default: 403 },
      },
      {
        method: 'GET',
        path: `/groups/${oakClass}/grid`,
        expect: { anon: 303, ...oakStaff, otherHead: 404, default: 403 },
      },
      {
        method: 'GET',
        path: '/interventions',
        expect: { anon: 303, ...Object.fromEntries(staffRoles.map((r) => [r, 200])), default: 403 },
      },
      {
        method: 'GET',
        path: '/interventions/new',
        expect: { anon: 303, admin: 200, head: 200, senco: 200, otherHead: 200, default: 403 },
      },
      {
        method: 'GET',
        path: `/interventions/${oakIntervention}`,
        expect: { anon: 303, ...oakStaff, otherHead: 404, default: 403 },
      },
      {
        method: 'GET',
        path: `/interventions/${oakIntervention}/edit`,
        expect: { anon: 303, admin: 200, head: 200, senco: 200, otherHead: 404, default: 403 },
      },
      {
        method: 'GET',
        path: `/pupils/${oakPupil}/assess`,
        expect: { anon: 303, ...oakStaff, otherHead: 404, default: 403 },
      },
      {
        method: 'GET',
        path: `/pupils/${oakPupil}/notes`,
        expect: { anon: 303, ...oakStaff, otherHead: 404, default: 403 },
      },
      {
        method: 'GET',
        path: `/pupils/${notePupil}/notes/${teacherNote.id}/edit`,
        expect: { anon: 303, ...Object.fromEntries(staffRoles.map((r) => [r, 404])), teacher: 200, default: 403 },
      },

      // A different unknown email per role, so the per-account throttle (AU4) does not answer instead.
      {
        method: 'POST',
        path: '/sign-in',
        form: (role) => ({ email: `nobody-${role}@nowhere.test`, password: 'wrong wrong wrong' }),
        expect: { default: 401 },
      },
      { method: 'POST', path: '/choose', form: { context: nobody }, expect: { anon: 401, default: 422 } },
      { method: 'POST', path: '/forgot-password', form: { email: 'nobody@nowhere.test' }, expect: { default: 200 } },
      {
        method: 'POST',
        path: '/reset-password',
        form: { password: 'a long enough new password', confirm: 'a long enough new password' },
        expect: { default: 410 },
      },
      {
        method: 'POST',
        path: '/invitation',
        form: {
          given_name: 'A',
          family_name: 'B',
          password: 'a long enough new password',
          confirm: 'a long enough new password',
        },
        expect: { default: 410 },
      },
      {
        method: 'POST',
        path: '/account/password',
        form: {
          currentPassword: 'wrong',
          newPassword: 'a long enough new password',
          confirm: 'a long enough new password',
        },
        expect: { anon: 401, default: 422 },
      },
      { method: 'POST', path: '/account/sign-out-everywhere', expect: { anon: 401, default: 303 } },
      {
        method: 'POST',
        path: '/staff/invite',
        form: { email: 'someone@x.test', given_name: 'A', family_name: 'B', roles: 'teacher', groupIds: nobody },
        expect: { anon: 401, admin: 404, otherHead: 404, default: 403 },
      },
      {
        method: 'POST',
        path: `/staff/${nobody}/roles`,
        form: { roles: 'teacher' },
        expect: { anon: 401, admin: 404, otherHead: 404, default: 403 },
      },
      {
        method: 'POST',
        path: `/staff/${teacherId}/groups`,
        form: { groupIds: [] },
        expect: { anon: 401, admin: 303, otherHead: 404, default: 403 },
      },
      {
        method: 'POST',
        path: `/staff/${nobody}/disable`,
        expect: { anon: 401, admin: 404, otherHead: 404, default: 403 },
      },
      {
        method: 'POST',
        path: `/staff/${nobody}/enable`,
        expect: { anon: 401, admin: 404, otherHead: 404, default: 403 },
      },
      {
        method: 'POST',
        path: `/staff/invitations/${nobody}/resend`,
        expect: { anon: 401, admin: 404, otherHead: 404, default: 403 },
      },
      {
        method: 'POST',
        path: `/staff/invitations/${nobody}/revoke`,
        expect: { anon: 401, admin: 404, otherHead: 404, default: 403 },
      },
      {
        method: 'POST',
        path: `/staff/admin-requests/${nobody}/approve`,
        expect: { anon: 401, admin: 404, otherHead: 404, default: 403 },
      },
      {
        method: 'POST',
        path: `/staff/admin-requests/${nobody}/refuse`,
        expect: { anon: 401, admin: 404, otherHead: 404, default: 403 },
      },
      { method: 'POST', path: '/invitation/accept', expect: { anon: 401, default: 410 } },
      { method: 'POST', path: '/invitation/decline', expect: { default: 410 } },
      { method: 'POST', path: `/account/invitations/${nobody}/accept`, expect: { anon: 401, default: 404 } },
      { method: 'POST', path: `/account/invitations/${nobody}/decline`, expect: { anon: 401, default: 404 } },
      {
        method: 'POST',
        path: `/operator/organisations/${nobody}/admin-requests`,
        form: { email: 'a@b.test', given_name: 'A', family_name: 'B', reason: 'The head has left' },
        expect: { anon: 401, operator: 404, default: 403 },
      },
      {
        method: 'POST',
        path: '/settings',
        form: { version: '999999', share_with_trust: 'on' },
        expect: { anon: 401, admin: 409, otherHead: 409, default: 403 },
      },
      {
        method: 'POST',
        path: '/operator/organisations',
        form: { kind: 'trust', name: 'Matrix Trust' },
        expect: { anon: 401, operator: 303, default: 403 },
      },
      {
        method: 'POST',
        path: `/operator/organisations/${nobody}/admins`,
        form: { email: 'a@b.test', given_name: 'A', family_name: 'B' },
        expect: { anon: 401, operator: 404, default: 403 },
      },
      { method: 'POST', path: '/pupils', form: pupilForm, expect: changeRow(303) },
      {
        method: 'POST',
        path: `/pupils/${nobody}`,
        form: (role) => ({ ...pupilForm(role), version: '1' }),
        expect: changeRow(404),
      },
      {
        method: 'POST',
        path: `/pupils/${nobody}/leave`,
        form: { leaving_date: '01/01/2026', leaving_reason: 'Moved', version: '1' },
        expect: changeRow(404),
      },
      { method: 'POST', path: `/pupils/${nobody}/return`, form: { version: '1' }, expect: changeRow(404) },
      {
        method: 'POST',
        path: `/pupils/${nobody}/contacts`,
        form: { name: 'A', relationship: 'B', priority: '1' },
        expect: changeRow(404),
      },
      {
        method: 'POST',
        path: `/pupils/${nobody}/contacts/${nobody}`,
        form: { name: 'A', relationship: 'B', priority: '1', version: '1' },
        expect: changeRow(404),
      },
      { method: 'POST', path: `/pupils/${nobody}/contacts/${nobody}/remove`, expect: changeRow(404) },
      { method: 'POST', path: `/pupils/${nobody}/fsm`, form: { start_date: '01/09/2025' }, expect: changeRow(404) },
      {
        method: 'POST',
        path: `/pupils/${nobody}/fsm/${nobody}/end`,
        form: { end_date: '01/09/2026' },
        expect: changeRow(404),
      },
      { method: 'POST', path: `/pupils/${nobody}/fsm/${nobody}/remove`, expect: changeRow(404) },
      {
        method: 'POST',
        path: `/pupils/${nobody}/flags`,
        form: { flag_id: nobody, start_date: '01/09/2026' },
        expect: changeRow(404),
      },
      {
        method: 'POST',
        path: `/pupils/${nobody}/flags/${nobody}/end`,
        form: { end_date: '01/10/2026' },
        expect: changeRow(404),
      },
      {
        method: 'POST',
        path: '/support-flags',
        form: (role) => ({ name: `Flag for ${role}` }),
        expect: groupManagers(303),
      },
      { method: 'POST', path: `/support-flags/${nobody}/archive`, expect: groupManagers(404) },
      {
        method: 'POST',
        path: '/groups',
        form: (role) => ({ name: `Group for ${role}`, kind: 'set' }),
        expect: groupManagers(303),
      },
      {
        method: 'POST',
        path: `/groups/${nobody}`,
        form: { name: 'X', kind: 'set', version: '1' },
        expect: groupManagers(404),
      },
      { method: 'POST', path: `/groups/${nobody}/members`, form: { pupilIds: nobody }, expect: groupManagers(404) },
      { method: 'POST', path: `/groups/${nobody}/members/${nobody}/remove`, expect: groupManagers(404) },
      {
        method: 'POST',
        path: `/groups/${nobody}/staff`,
        form: { userId: nobody, role: 'teacher' },
        expect: groupStaffing(404),
      },
      { method: 'POST', path: `/groups/${nobody}/staff/${nobody}/remove`, expect: groupStaffing(404) },
      { method: 'POST', path: '/pupils/import', form: { mode: 'update' }, expect: importers(422) },
      {
        method: 'POST',
        path: `/pupils/import/${nobody}/confirm`,
        form: { fingerprint: 'a'.repeat(32) },
        expect: importers(404),
      },
      { method: 'POST', path: `/pupils/import/${nobody}/cancel`, expect: importers(404) },
      {
        method: 'POST',
        path: '/frameworks',
        form: (role) => ({
          kind: 'attainment',
          name: `Phonics ${role}`,
          recorded_by: 'teacher',
          items: 'Phonics',
          levels: '1 | B | Below\n2 | E | Expected | | expected',
        }),
        expect: frameworkAdmin(303),
      },
      {
        method: 'POST',
        path: `/frameworks/${nobody}`,
        form: { name: 'X', recorded_by: 'teacher', version: '1' },
        expect: frameworkAdmin(404),
      },
      { method: 'POST', path: `/frameworks/${nobody}/levels/${nobody}/delete`, expect: frameworkAdmin(404) },
      {
        method: 'POST',
        path: `/terms/${nobody}`,
        form: { starts_on: '01/09/2030', ends_on: '20/12/2030' },
        expect: frameworkAdmin(404),
      },
      { method: 'POST', path: '/terms', form: { academic_year: '2030' }, expect: frameworkAdmin(303) },
      {
        method: 'POST',
        path: `/groups/${nobody}/grid`,
        form: { framework_id: nobody, term_id: nobody, assessed_on: '01/10/2026' },
        expect: recorders(404),
      },
      {
        method: 'POST',
        path: `/groups/${nobody}/grid/rows/${nobody}`,
        form: { framework_id: nobody, term_id: nobody, assessed_on: '01/10/2026' },
        expect: recorders(404),
      },
      {
        method: 'POST',
        path: `/pupils/${nobody}/assess`,
        form: { framework_id: nobody, term_id: nobody, assessed_on: '01/10/2026' },
        expect: recorders(404),
      },
      {
        method: 'POST',
        path: `/pupils/${nobody}/notes`,
        form: { sensitivity: 'standard', body: 'A note' },
        expect: noteWriters(404),
      },
      {
        method: 'POST',
        path: `/pupils/${nobody}/notes/${nobody}`,
        form: { body: 'A note', version: '1' },
        expect: noteWriters(404),
      },
      {
        method: 'POST',
        path: `/pupils/${nobody}/observations`,
        form: { observed_on: '01/10/2026', body: 'Seen' },
        expect: observers(404),
      },
      {
        method: 'POST',
        path: '/interventions',
        form: (role) => ({ name: `Boost ${role}`, type: 'Reading', start_date: '01/10/2026', status: 'planned' }),
        expect: interventionManagers(303),
      },
      {
        method: 'POST',
        path: `/interventions/${nobody}`,
        form: { name: 'X', type: 'Reading', start_date: '01/10/2026', status: 'planned', version: '1' },
        expect: interventionManagers(404),
      },
      // Last, because it ends the session.
      { method: 'POST', path: '/sign-out', expect: { default: 303 } },
    ];
    for (const role of allRoles) browsers.set(role, role === 'anon' ? app.browser() : await app.signIn(roles[role]));
  });
  after(() => app.close());

  it('A1: every route answers every role as the matrix says, and refusals carry no pupil data', async function () {
    // Hundreds of requests in sequence: about 40 s alone on 2 shared cores, over 60 s in a loaded full run.
    this.timeout(180_000);
    const failures: string[] = [];
    const tokens = new Map<Role, string>();
    const tokenFor = async (role: Role, b: Browser) => {
      if (!tokens.has(role)) tokens.set(role, await b.csrf(role === 'anon' ? '/sign-in' : '/account'));
      return tokens.get(role)!;
    };
    const pupilNames: string[] = (await app.database.su('pupils').select('surname', 'legal_forename')).map(
      (p) => `${p.surname}, ${p.legal_forename}`,
    );
    for (const row of rows) {
      for (const role of allRoles) {
        const b = browsers.get(role)!;
        const expected = row.expect[role] ?? row.expect.default;
        const res =
          row.method === 'GET'
            ? await b.get(row.path)
            : await b.postRaw(row.path, {
                _csrf: await tokenFor(role, b),
                ...(typeof row.form === 'function' ? row.form(role) : row.form),
              });
        if (res.status !== expected)
          failures.push(`${row.method} ${row.path} as ${role}: expected ${expected}, got ${res.status}`);
        if (res.status >= 400 && pupilNames.some((n) => res.text.includes(n)))
          failures.push(`${row.method} ${row.path} as ${role}: pupil data in a ${res.status}`);
      }
    }
    expect(failures).to.deep.equal([]);
  });

  it('B1: every POST route refuses a multipart body with no CSRF token and no Origin (403), signed in or not', async () => {
    const failures: string[] = [];
    // Fresh sessions: the A1 test above ends with every role signing out.
    const signedIn = {
      anon: app.browser(),
      admin: await app.signIn(roles.admin),
      teacher: await app.signIn(roles.teacher),
    };
    for (const row of rows.filter((r) => r.method === 'POST')) {
      for (const [role, b] of Object.entries(signedIn)) {
        const form = typeof row.form === 'function' ? row.form(role as Role) : (row.form ?? {});
        const req = b.agent.post(row.path);
        for (const [k, v] of Object.entries(form)) for (const item of [v].flat()) req.field(k, item);
        if (!Object.keys(form).length) req.field('nothing', 'here');
        const res = await req;
        // An upload path refuses an anonymous visitor (401) before reading the body at all.
        const expected = role === 'anon' && row.path === '/pupils/import' ? 401 : 403;
        if (res.status !== expected) failures.push(`${row.path} as ${role}: ${res.status}`);
      }
    }
    expect(failures).to.deep.equal([]);
    // Still signed in: none of those requests ended a session or changed anything.
    expect((await signedIn.admin.get('/account')).status).to.equal(200);
  });

  it('A1: the matrix covers every route the app has', () => {
    const covered = new Set(
      rows.map((r) => `${r.method} ${r.path.replace(/[0-9a-f]{8}-[0-9a-f-]{27}|x{43}/g, ':param')}`),
    );
    const missing = routesOf(app).filter((r) => !covered.has(r.replace(/:\w+/g, ':param')));
    expect(missing, 'routes missing from the A1 matrix').to.deep.equal([]);
  });
});
