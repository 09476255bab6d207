import { expect } from 'chai';
import { type Browser, startTestApp, type TestApp } from '../helpers/app.js';
import { demoIds } from '../helpers/demo.js';
import { parseForm } from '../../src/http/forms.js';
import { dateProblem } from '../../src/http/query.js';
import { groupAddQuery, listQuery } from '../../src/modules/pupils/schemas.js';

/**
 * I4: hostile query strings and form bodies get a 400 with a message a person can read, never a
 * 500; pages with a filter form show the problem by the field, with the error summary, keeping
 * what was typed. Each row is sent by a role that can reach the route, so validation (not the
 * policy) answers. `:group` is Oakfield's 3 Oak and `:pupil` one of its pupils.
 */
type Role = 'anon' | 'operator' | 'admin' | 'head' | 'teacher';
const accounts: Record<Exclude<Role, 'anon'>, string> = {
  operator: 'operator@waypoint.test',
  admin: 'admin@oakfield.test',
  head: 'head@oakfield.test',
  teacher: 'teacher@oakfield.test',
};

interface Case {
  role: Role;
  url: string;
  /** What the refusal must say. */
  says: RegExp;
  /** A filter form's field that must show the error (with the summary linking to it)... */
  field?: string;
  /** ...still holding what was typed. */
  kept?: string;
  /** Sent as htmx's live search sends it: the answer is the results fragment, with the problem in it. */
  htmx?: boolean;
}

const long = 'a'.repeat(300);
const nul = /a character Waypoint cannot accept/;
const once = /more than once/;

const cases: Case[] = [
  // The field report.
  { role: 'admin', url: '/pupils?q=a&q=b', says: once, field: 'q', kept: 'a' },
  { role: 'admin', url: '/pupils?q=%00', says: nul },
  { role: 'admin', url: `/pupils?q=${long}`, says: /100 characters or fewer/, field: 'q', kept: long },
  { role: 'admin', url: `/pupils/export.csv?q=${long}`, says: /100 characters or fewer/ },
  { role: 'teacher', url: '/pupils/export.csv?q=a&q=b', says: once },
  { role: 'teacher', url: '/pupils/export.csv?q=%00', says: nul },
  { role: 'admin', url: '/audit?from=2026-02-31', says: /real date/, field: 'from', kept: '2026-02-31' },
  { role: 'admin', url: '/audit?from=0000-01-01', says: /from 1900 to 2100/, field: 'from', kept: '0000-01-01' },
  { role: 'admin', url: '/groups/:group?add=1&add_q=%00', says: nul },
  // The same class of defect elsewhere on the pupil list.
  { role: 'teacher', url: '/pupils?q=%01', says: /control character/, field: 'q' },
  { role: 'admin', url: `/pupils?q=${long}`, says: /100 characters or fewer/, htmx: true },
  { role: 'admin', url: '/pupils?group=not-a-group', says: /Choose a class or group from the list/, field: 'group' },
  { role: 'admin', url: '/pupils?year=3&year=4', says: once, field: 'year' },
  { role: 'admin', url: '/pupils?status=a&status=b', says: once, field: 'status' },
  { role: 'admin', url: '/pupils?sort=shoe-size', says: /sort/ },
  { role: 'admin', url: '/pupils?page=1e300', says: /page/ },
  { role: 'admin', url: '/pupils/export.csv?flag=1%27', says: /Choose a support flag from the list/ },
  // The audit log's filters.
  { role: 'admin', url: '/audit?to=2026-02-30', says: /real date/, field: 'to', kept: '2026-02-30' },
  { role: 'admin', url: '/audit?from=1066-10-14', says: /from 1900 to 2100/, field: 'from' },
  { role: 'admin', url: '/audit?from=2026-09-01&from=2026-10-01', says: once, field: 'from' },
  { role: 'admin', url: '/audit?user=someone', says: /Choose a person from the list/, field: 'user' },
  { role: 'admin', url: `/audit?action=${long}`, says: /Choose an action from the list/, field: 'action' },
  { role: 'admin', url: '/audit?before=99999999999999999999', says: /older entries/ },
  { role: 'admin', url: '/audit?before=1&before=2', says: once },
  // A class page and its "add pupils" search.
  {
    role: 'admin',
    url: `/groups/:group?add=1&add_q=${long}`,
    says: /100 characters or fewer/,
    field: 'add_q',
    kept: long,
  },
  { role: 'admin', url: '/groups/:group?add=1&add_q=a&add_q=b', says: once, field: 'add_q', kept: 'a' },
  { role: 'admin', url: '/groups/:group?add=1&add_q=%07', says: /control character/, field: 'add_q' },
  {
    role: 'admin',
    url: '/groups/:group?add=1&add_year=99',
    says: /Choose a year group from the list/,
    field: 'add_year',
  },
  { role: 'teacher', url: `/groups/:group?term=${'-'.repeat(36)}`, says: /term/ },
  { role: 'teacher', url: '/groups/:group?term=a&term=b', says: once },
  { role: 'teacher', url: '/groups/:group?sort=name&sort=name', says: once },
  // Every other GET route that reads its query.
  { role: 'admin', url: '/groups?archived=1&archived=1', says: once },
  { role: 'teacher', url: '/groups/:group/grid?framework=nope', says: /assessment/ },
  { role: 'teacher', url: '/groups/:group/grid?term=a&term=b', says: once },
  { role: 'teacher', url: '/pupils/:pupil/assess?term=nope', says: /term/ },
  { role: 'head', url: '/dashboard?term=nope', says: /term/ },
  { role: 'head', url: '/dashboard?group=a&group=b', says: once },
  { role: 'teacher', url: '/interventions?status=a&status=b', says: once },
  { role: 'teacher', url: '/interventions?status=asleep', says: /status/ },
  // The NUL guard answers before any handler, wherever in the address the NUL is.
  { role: 'admin', url: '/groups?archived=%00', says: nul },
  { role: 'anon', url: '/sign-in?next=%00', says: nul },
  { role: 'operator', url: '/operator/organisations/new?kind=%00', says: nul },
  { role: 'teacher', url: '/?anything=%00', says: nul },
  { role: 'teacher', url: '/pupils/%00', says: nul },
];

describe('I4: bad input is a 400 with a clear message, never a 500', () => {
  let app: TestApp;
  const browsers = new Map<Role, Browser>();
  const vars: Record<string, string> = {};
  const urlOf = (c: Case) => c.url.replace(/:(group|pupil)\b/g, (_m, k: string) => vars[k]!);

  before(async () => {
    app = await startTestApp();
    const ids = await demoIds(app.database.su);
    vars.group = (await app.database.su('groups').where({ school_id: ids.oakfield, name: '3 Oak' }).first()).id;
    vars.pupil = (await app.database.su('group_members').where({ group_id: vars.group }).first()).pupil_id;
    for (const role of Object.keys(accounts) as Exclude<Role, 'anon'>[])
      browsers.set(role, await app.signIn(accounts[role]));
    browsers.set('anon', app.browser());
  });
  after(() => app.close());

  for (const c of cases) {
    it(`I4: ${c.role} GET ${c.url.length > 90 ? `${c.url.slice(0, 90)}…` : c.url} → 400${c.field ? `, shown by “${c.field}”` : ''}${c.htmx ? ' (htmx)' : ''}`, async () => {
      const req = browsers.get(c.role)!.get(urlOf(c));
      const res = c.htmx ? await req.set('HX-Request', 'true') : await req;
      expect(res.status, /<h1>([^<]*)/.exec(res.text)?.[1] ?? res.text.slice(0, 100)).to.equal(400);
      expect(res.headers['content-type']).to.match(/^text\/html/);
      expect(res.text).to.match(c.says);
      // Readable: no zod or Postgres wording, no stack.
      expect(res.text).not.to.match(/Invalid input|expected string|ZodError|invalid input syntax|at [\w.]+ \(/);
      if (c.htmx) expect(res.text).not.to.contain('<html');
      if (c.field) {
        expect(res.text).to.contain('class="error-summary"');
        expect(res.text).to.contain(`href="#f-${c.field}"`);
        expect(res.text).to.contain(`id="f-${c.field}-error"`);
        expect(res.text).to.match(new RegExp(`id="f-${c.field}"[^>]*aria-invalid="true"`));
      }
      if (c.kept !== undefined) expect(res.text).to.match(new RegExp(`id="f-${c.field}"[^>]*value="${c.kept}"`));
    });
  }

  it('I4: a NUL in a form body is never a 500: refused by its field where the form checks, else a 400 page; nothing is saved', async () => {
    const anon = app.browser();
    const token = await anon.csrf('/sign-in');
    // The sign-in form does not check for NUL itself: Postgres refuses it, and that is a 400.
    const signIn = await anon.postRaw('/sign-in', {
      _csrf: token,
      email: 'admin@oakfield.test\u0000',
      password: 'waypoint-demo-password',
    });
    expect(signIn.status).to.equal(400);
    expect(signIn.text).to.match(nul);
    // Forms built on the shared text helpers refuse it by the field.
    const admin = browsers.get('admin')!;
    const flag = await admin.post('/support-flags', { name: 'Null\u0000flag' }, { tokenFrom: '/support-flags' });
    expect(flag.status).to.equal(422);
    expect(flag.text).to.contain('href="#f-name"');
    expect(flag.text).to.contain('contains a character that cannot be stored');
    expect(await app.database.su('support_flags').where('name', 'like', 'Null%').first()).to.equal(undefined);
  });

  it('I4: the same filters, given properly, still work', async () => {
    const admin = browsers.get('admin')!;
    for (const url of [
      '/pupils?q=a',
      '/pupils?q=',
      '/pupils/export.csv?q=smith',
      '/audit?from=2024-02-29&to=2026-12-31',
      `/groups/${vars.group}?add=1&add_q=a`,
      '/groups?archived=1',
    ]) {
      const res = await admin.get(url);
      expect(res.status, url).to.equal(200);
    }
    const teacher = browsers.get('teacher')!;
    for (const url of [
      `/groups/${vars.group}?sort=name`,
      `/groups/${vars.group}/grid`,
      `/pupils/${vars.pupil}/assess`,
      '/interventions?status=running',
    ]) {
      expect((await teacher.get(url)).status, url).to.equal(200);
    }
    expect((await browsers.get('head')!.get('/dashboard?group=')).status).to.equal(200);
  });

  it('I4: the query schemas refuse a NUL themselves (should the guard ever go) and know real dates', () => {
    expect(parseForm(listQuery, { q: 'smith\u0000' }).ok).to.equal(false);
    expect(parseForm(groupAddQuery, { add_q: '\u0000' }).ok).to.equal(false);
    expect(parseForm(listQuery, { q: 'Smith\tJo' }).ok, 'a pasted tab is only a space').to.equal(true);
    expect(dateProblem('2026-02-31', 'the date')).to.equal('The date must be a real date: 2026-02-31 does not exist');
    expect(dateProblem('2025-02-29', 'the date')).to.match(/does not exist/);
    expect(dateProblem('0000-01-01', 'the date')).to.match(/from 1900 to 2100/);
    expect(dateProblem('2101-01-01', 'the date')).to.match(/from 1900 to 2100/);
    expect(dateProblem('2026-2-1', 'the date')).to.equal('Enter the date like 2026-09-01');
    expect(dateProblem('2024-02-29', 'the date')).to.equal(null);
  });

  it('I4: the server keeps answering afterwards, and no request failed with a 500', async () => {
    expect((await app.browser().get('/healthz')).status).to.equal(200);
    expect((await browsers.get('admin')!.get('/pupils')).status).to.equal(200);
    const failures = app.logs.filter((line) => line.includes('"request failed"') || /"statusCode":5\d\d/.test(line));
    expect(failures, failures.join('\n').slice(0, 2000)).to.deep.equal([]);
  });
});
