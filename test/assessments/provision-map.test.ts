import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { type Browser, startTestApp, type TestApp } from '../helpers/app.js';
import { demoIds, type DemoIds } from '../helpers/demo.js';

const csvOf = (text: string) => parse(text.replace(/^\ufeff/, ''), { columns: true }) as Record<string, string>[];

/** The provision map (issue 15 item 13): a whole-class or whole-school CSV with scores, groups, flags and interventions. */
describe('Assessments: the provision map CSV', () => {
  let app: TestApp;
  let ids: DemoIds;
  let admin: Browser;
  before(async () => {
    app = await startTestApp();
    ids = await demoIds(app.database.su);
    admin = await app.signIn('admin@oakfield.test');
  });
  after(() => app.close());

  it('has every pupil on roll the person sees, with latest wellbeing and attainment labels, groups, flags and interventions; formula-safe and audited', async () => {
    const su = app.database.su;
    const oak3 = await su('groups').where({ school_id: ids.oakfield, name: '3 Oak' }).first();
    const pupil = await su('group_members as gm')
      .join('pupils as p', 'p.id', 'gm.pupil_id')
      .where('gm.group_id', oak3.id)
      .whereNull('p.restricted_at')
      .whereExists(su('assessment_scores as s').whereRaw('s.pupil_id = p.id'))
      .orderBy('p.surname')
      .first('p.*');
    // The latest score of one item, with its framework's and level's names.
    const latest = await su('assessment_scores as s')
      .join('terms as t', 't.id', 's.term_id')
      .join('framework_items as i', 'i.id', 's.item_id')
      .join('frameworks as f', 'f.id', 's.framework_id')
      .join('framework_levels as l', 'l.id', 's.level_id')
      .where('s.pupil_id', pupil.id)
      .whereIn('f.kind', ['wellbeing', 'attainment'])
      .whereNull('f.archived_at')
      .whereNull('i.archived_at')
      .orderBy([
        { column: 's.item_id' },
        { column: 't.sequence', order: 'desc' },
        { column: 's.assessed_on', order: 'desc' },
      ])
      .first('f.name as framework', 'i.name as item', 'l.label', 's.item_id');
    const newest = await su('assessment_scores as s')
      .join('terms as t', 't.id', 's.term_id')
      .join('framework_levels as l', 'l.id', 's.level_id')
      .where({ 's.pupil_id': pupil.id, 's.item_id': latest.item_id })
      .orderBy([
        { column: 't.sequence', order: 'desc' },
        { column: 's.assessed_on', order: 'desc' },
      ])
      .first('l.label');
    const [nurture] = await su('groups')
      .insert({ school_id: ids.oakfield, kind: 'intervention', name: 'Reading boost' })
      .returning('id');
    await su('group_members').insert({ school_id: ids.oakfield, group_id: nurture.id, pupil_id: pupil.id });
    await su('interventions').insert({
      school_id: ids.oakfield,
      name: 'Reading boost',
      type: 'Reading',
      group_id: nurture.id,
      start_date: '2026-09-10',
      status: 'running',
    });
    await su('pupils').where({ id: pupil.id }).update({ preferred_forename: '=HYPERLINK("http://x")' });

    const res = await admin.get('/provision-map.csv');
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.contain('text/csv');
    expect(res.headers['content-disposition']).to.match(/attachment; filename="provision-map-\d{4}-\d{2}-\d{2}\.csv"/);
    const rows = csvOf(res.text);
    const onRoll = Number(
      (
        await su('pupils')
          .where({ school_id: ids.oakfield })
          .whereNull('leaving_date')
          .whereNull('restricted_at')
          .count('* as n')
      )[0]!.n,
    );
    expect(rows).to.have.length(onRoll);
    expect(rows[0]!.year_group, 'school order: Reception first').to.equal('Reception');
    for (const column of [
      'sen_status',
      'pupil_premium',
      'fsm_now',
      'eal',
      'looked_after',
      'support_flags',
      'groups',
      'interventions',
    ])
      expect(Object.keys(rows[0]!)).to.include(column);
    const row = rows.find((r) => r.mis_id === pupil.mis_id)!;
    expect(row.forename, 'formula-safe (I3)').to.equal(`'=HYPERLINK("http://x")`);
    expect(row.groups).to.contain('3 Oak').and.to.contain('Reading boost');
    expect(row.registration_group).to.equal('3 Oak');
    expect(row.interventions).to.match(/^Reading boost \(running, from 10\/09\/2026\)/);
    expect(row[`${latest.framework}: ${latest.item}`], 'the latest level, by its label').to.equal(newest.label);

    const audit = await su('audit_events').where({ action: 'provision.exported' }).orderBy('id', 'desc').first();
    expect(audit.actor_user_id).to.equal(ids.user('admin@oakfield.test'));
    expect(audit.fields).to.deep.equal(['record', 'assessments', 'interventions']);
    expect(JSON.stringify(audit)).not.to.contain(newest.label);
  });

  it('gives a teacher their class, one class with ?group=, and refuses a group they do not teach and a TA', async () => {
    const su = app.database.su;
    const oak3 = await su('groups').where({ school_id: ids.oakfield, name: '3 Oak' }).first();
    const oak4 = await su('groups').where({ school_id: ids.oakfield, name: '4 Oak' }).first();
    const teacher = await app.signIn('teacher@oakfield.test');
    const mine = csvOf((await teacher.get('/provision-map.csv')).text);
    expect(mine.length).to.equal(30);
    expect(csvOf((await teacher.get(`/provision-map.csv?group=${oak3.id}`)).text)).to.have.length(30);
    expect((await teacher.get(`/provision-map.csv?group=${oak4.id}`)).status).to.equal(403);
    expect((await (await app.signIn('ta@oakfield.test')).get('/provision-map.csv')).status).to.equal(403);
    const oneClass = csvOf((await admin.get(`/provision-map.csv?group=${oak4.id}`)).text);
    expect(oneClass.every((r) => r.registration_group === '4 Oak')).to.equal(true);
    expect((await admin.get('/provision-map.csv?group=nonsense')).status).to.equal(400);

    // Linked from the pupil list, the class page and the interventions page.
    expect((await teacher.get(`/groups/${oak3.id}`)).text).to.contain(`/provision-map.csv?group=${oak3.id}`);
    expect((await admin.get(`/pupils?group=${oak4.id}`)).text).to.contain(`/provision-map.csv?group=${oak4.id}`);
    expect((await admin.get('/interventions')).text).to.contain('href="/provision-map.csv"');
  });
});
