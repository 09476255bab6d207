import { expect } from 'chai';
import { type Browser, startTestApp, type TestApp } from '../helpers/app.js';
import { demoIds, type DemoIds, oakClassFramework } from '../helpers/demo.js';

/**
 * P16: a safeguarding prompt is shown in the response alone. It is never stored, logged or
 * reported: no table, column, audit row, log line, export, dashboard or history entry holds it or
 * the fact that it was shown.
 */
const promptPhrases = [
  'Please consider whether this is a safeguarding concern',
  'consider whether this is a safeguarding',
  'was scored 1 (significant concern)',
  'since the last assessment',
  'Waypoint does not save or record it',
  'speak to your designated safeguarding lead',
];

interface Pupil {
  id: string;
  surname: string;
}

describe('P16: safeguarding prompts are never stored, logged or reported', function () {
  this.timeout(120_000);
  let app: TestApp;
  let ids: DemoIds;
  let teacher: Browser;
  let groupId: string;
  let wellbeing: { id: string };
  let items: { id: string; name: string; is_safety_domain: boolean }[];
  let levels: Map<number, string>;
  let term: { id: string; starts_on: string };
  let pupils: Pupil[];
  const responses: { label: string; status: number; headers: Record<string, string>; text: string }[] = [];

  before(async () => {
    app = await startTestApp();
    ids = await demoIds(app.database.su);
    const su = app.database.su;
    teacher = await app.signIn('teacher@oakfield.test');
    ({ groupId, framework: wellbeing, items, levels, term } = await oakClassFramework(su, ids, 'wellbeing'));
    pupils = await su('pupils as p')
      .join('group_members as gm', 'gm.pupil_id', 'p.id')
      .where('gm.group_id', groupId)
      .select('p.id', 'p.surname')
      .orderBy('p.surname');
    // A known starting point: every pupil scored 4 in every domain last term, nothing yet this term.
    const previousTerm = await su('terms')
      .where({ school_id: ids.oakfield })
      .where('sequence', '<', (await su('terms').where({ id: term.id }).first()).sequence)
      .orderBy('sequence', 'desc')
      .first();
    await su('assessment_scores')
      .whereIn(
        'pupil_id',
        pupils.map((p) => p.id),
      )
      .where({ framework_id: wellbeing.id })
      .whereIn('term_id', [term.id, previousTerm.id])
      .del();
    await su('assessment_scores').insert(
      pupils.flatMap((p) =>
        items.map((i) => ({
          school_id: ids.oakfield,
          pupil_id: p.id,
          framework_id: wellbeing.id,
          item_id: i.id,
          term_id: previousTerm.id,
          level_id: levels.get(4),
          value: 4,
          assessed_on: previousTerm.starts_on,
        })),
      ),
    );
  });
  after(() => app.close());

  const row = (pupil: Pupil, values: Record<string, number>) => {
    const form: Record<string, string> = { [`stamp:${pupil.id}`]: '' };
    for (const item of items) form[`l:${pupil.id}:${item.id}`] = levels.get(values[item.name] ?? 4)!;
    return form;
  };
  const common = () => ({
    framework_id: wellbeing.id,
    term_id: term.id,
    assessed_on: term.starts_on.split('-').reverse().join('/'),
  });
  const keep = (label: string, res: { status: number; headers: Record<string, string>; text: string }) => {
    responses.push({ label, status: res.status, headers: res.headers, text: res.text });
    return res;
  };
  const safety = () => items.find((i) => i.is_safety_domain)!;

  it('P16: each rule shows a prompt in the response, with no-store, through the real HTTP flows', async () => {
    // Rule 1, whole grid without JavaScript: a domain scored 1.
    const [a, b, c, d] = pupils as [Pupil, Pupil, Pupil, Pupil];
    const grid = keep(
      'grid, score of 1',
      await teacher.post(
        `/groups/${groupId}/grid`,
        { ...common(), ...row(a, { 'Emotional wellbeing': 1 }) },
        { tokenFrom: `/groups/${groupId}/grid` },
      ),
    );
    expect(grid.status).to.equal(200);
    expect(grid.headers['cache-control']).to.equal('no-store');
    expect(grid.text).to.contain(`Please consider whether this is a safeguarding concern for`);
    expect(grid.text).to.contain(a.surname);
    expect(grid.text).to.contain('Emotional wellbeing was scored 1 (significant concern)');
    expect(grid.text).to.contain('Dan Shah');

    // Rule 2, one row saved by htmx: a fall of 2 since the previous assessment (4 → 2).
    const token = await teacher.csrf(`/groups/${groupId}/grid`);
    const htmx = keep(
      'htmx row, fall of 2',
      await teacher.postRaw(
        `/groups/${groupId}/grid/rows/${b.id}`,
        { _csrf: token, ...common(), ...row(b, { 'Self-regulation': 2 }) },
        { 'HX-Request': 'true' },
      ),
    );
    expect(htmx.status).to.equal(200);
    expect(htmx.headers['cache-control']).to.equal('no-store');
    expect(htmx.text).to.match(/^\s*<tr id="row-/);
    expect(htmx.text).to.contain('hx-swap-oob');
    expect(htmx.text).to.contain('Self-regulation fell from 4 to 2 since the last assessment');

    // Rule 3, the single-pupil form: the "feeling safe" domain at 2.
    const form = keep(
      'pupil form, safety domain',
      await teacher.post(
        `/pupils/${c.id}/assess`,
        { ...common(), ...row(c, { [safety().name]: 3 }) },
        { tokenFrom: `/pupils/${c.id}/assess` },
      ),
    );
    expect(form.status).to.equal(200);
    expect(form.text).not.to.contain('Please consider');
    const form2 = keep(
      'pupil form, safety domain 2',
      await teacher.post(
        `/pupils/${c.id}/assess`,
        { ...common(), ...row(c, { [safety().name]: 2 }), [`stamp:${c.id}`]: new Date().toISOString() },
        { tokenFrom: `/pupils/${c.id}/assess` },
      ),
    );
    expect(form2.status).to.equal(200);
    expect(form2.headers['cache-control']).to.equal('no-store');
    expect(form2.text).to.contain(`${safety().name} is 2.`);

    // And a save that meets no rule answers in exactly the same way.
    const calm = keep(
      'grid, no prompt',
      await teacher.post(
        `/groups/${groupId}/grid`,
        { ...common(), ...row(d, {}) },
        { tokenFrom: `/groups/${groupId}/grid` },
      ),
    );
    expect(calm.status).to.equal(200);
    expect(calm.text).not.to.contain('Please consider');
    const headerNames = (h: Record<string, string>) =>
      Object.keys(h)
        .filter((k) => !['content-length', 'etag', 'date', 'set-cookie'].includes(k))
        .sort();
    expect(headerNames(grid.headers)).to.deep.equal(headerNames(calm.headers));
  });

  it('P16: no table, column or row anywhere in the database holds the prompt or marks that one was shown', async () => {
    const su = app.database.su;
    const tables: string[] = await su('pg_tables').where({ schemaname: 'public' }).pluck('tablename');
    const columns: { table_name: string; column_name: string }[] = await su('information_schema.columns')
      .where({ table_schema: 'public' })
      .select('table_name', 'column_name');
    const marking = columns.filter(
      (c) =>
        /prompt|concern|safeguard|alert|flagged/i.test(c.column_name) &&
        !(c.table_name === 'school_settings' && c.column_name === 'concern_rules'),
    );
    expect(marking, 'columns that could record a prompt').to.deep.equal([]);
    expect(tables.filter((t) => /prompt|concern|safeguard|alert/i.test(t))).to.deep.equal([]);
    let dump = '';
    for (const table of tables) {
      const rows = (await su.raw(`select * from ??`, [table])).rows;
      dump += JSON.stringify(rows, (_k, v) => (v && v.type === 'Buffer' ? Buffer.from(v.data).toString('latin1') : v));
    }
    expect(dump.length).to.be.greaterThan(100_000);
    for (const phrase of promptPhrases) expect(dump.includes(phrase), `the database holds “${phrase}”`).to.equal(false);
    const actions: string[] = await su('audit_events').distinct('action').pluck('action');
    expect(actions.filter((a) => /prompt|concern|safeguard/i.test(a))).to.deep.equal([]);
    const saves = await su('audit_events').where({ action: 'assessment.recorded' }).orderBy('id');
    expect(saves.length).to.be.at.least(4);
    const shapes = new Set(saves.map((s) => JSON.stringify([Object.keys(s).sort(), Object.keys(s.meta ?? {}).sort()])));
    expect(shapes.size, 'audit rows look the same whether or not a prompt was shown').to.equal(1);
  });

  it('P16: the logs never contain the prompt or any sign of it', async () => {
    const logs = app.logs.join('');
    expect(logs).to.contain('/grid');
    for (const phrase of [...promptPhrases, 'safeguarding', 'concern'])
      expect(logs.toLowerCase(), phrase).not.to.contain(phrase.toLowerCase());
  });

  it('P16: exports, reports, dashboards and history pages never contain it', async () => {
    const admin = await app.signIn('admin@oakfield.test');
    const head = await app.signIn('head@oakfield.test');
    const dsl = await app.signIn('dsl@oakfield.test');
    const pages: [Browser, string][] = [
      // The DSL's and head's home pages list low wellbeing from the scores, never the prompt.
      [dsl, '/'],
      [head, '/'],
      [admin, '/pupils/export.csv?status=all'],
      [admin, '/audit'],
      [head, '/dashboard'],
      [teacher, `/groups/${groupId}`],
      [teacher, `/groups/${groupId}/grid`],
      [teacher, `/pupils/${pupils[0]!.id}`],
      [teacher, `/pupils/${pupils[0]!.id}/print`],
      [teacher, `/pupils/${pupils[0]!.id}/notes`],
      [teacher, `/pupils/${pupils[2]!.id}/assess`],
    ];
    for (const [who, path] of pages) {
      const page = await who.get(path);
      expect(page.status, path).to.equal(200);
      for (const phrase of promptPhrases) expect(page.text, `${path}: ${phrase}`).not.to.contain(phrase);
    }
  });
});
