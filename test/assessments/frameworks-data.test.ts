import { expect } from 'chai';
import { defaultWellbeing } from '../../src/modules/assessments/defaults.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { demoIds, type DemoIds } from '../helpers/demo.js';

/** P6: wellbeing data is special-category data, held in frameworks that are data, never logged. */
describe('Frameworks are data', () => {
  let app: TestApp;
  let ids: DemoIds;
  before(async () => {
    app = await startTestApp();
    ids = await demoIds(app.database.su);
  });
  after(() => app.close());

  it('P6: frameworks are rows a school can add to; the default wellbeing framework has eight domains; notes have a sensitivity; nothing special-category reaches the logs', async () => {
    const su = app.database.su;
    expect(defaultWellbeing.items).to.have.length(8);
    for (const school of [ids.oakfield, ids.riverside, ids.hillcrest]) {
      const wellbeing = await su('frameworks').where({ school_id: school, kind: 'wellbeing' }).first();
      expect(await su('framework_items').where({ framework_id: wellbeing.id }), 'eight domains').to.have.length(8);
    }
    const admin = await app.signIn('admin@oakfield.test');
    const created = await admin.post(
      '/frameworks',
      {
        kind: 'wellbeing',
        name: 'Nurture check-in',
        recorded_by: 'teacher',
        items: 'Settling\nFriendships',
        levels: '1 | L | Low\n2 | M | Middling\n3 | H | High | | expected',
      },
      { tokenFrom: '/frameworks/new' },
    );
    expect(created.status).to.equal(303);
    expect(await su('frameworks').where({ school_id: ids.oakfield, name: 'Nurture check-in' })).to.have.length(1);
    expect(
      (
        await su.raw(
          `select data_type from information_schema.columns where table_name = 'notes' and column_name = 'sensitivity'`,
        )
      ).rows,
    ).to.have.length(1);

    const pupil = (
      await su('group_members as gm')
        .join('groups as g', 'g.id', 'gm.group_id')
        .where({ 'g.school_id': ids.oakfield, 'g.name': '3 Oak' })
        .first('gm.pupil_id')
    ).pupil_id;
    const teacher = await app.signIn('teacher@oakfield.test');
    const body = 'P6-SECRET-4411 told me about trouble at home';
    expect(
      (
        await teacher.post(
          `/pupils/${pupil}/notes`,
          { sensitivity: 'standard', body },
          { tokenFrom: `/pupils/${pupil}/notes` },
        )
      ).status,
    ).to.equal(303);
    expect((await teacher.get(`/pupils/${pupil}/notes`)).text).to.contain(body);
    expect(app.logs.join('\n')).not.to.contain('P6-SECRET-4411');
    expect(JSON.stringify(await su('audit_events').where({ entity_id: pupil }))).not.to.contain('P6-SECRET-4411');
  });
});
