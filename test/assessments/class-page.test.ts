import { expect } from 'chai';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { demoIds, type DemoIds, oakClassFramework } from '../helpers/demo.js';

/**
 * Issue 15, item 11: the class page shows the context teachers use beside each name (SEN,
 * Pupil Premium, looked after) and each pupil's latest attainment; the read is audited.
 */
describe('The class page: context markers and latest attainment (issue 15)', function () {
  this.timeout(120_000);
  let app: TestApp;
  let ids: DemoIds;

  before(async () => {
    app = await startTestApp();
    ids = await demoIds(app.database.su);
  });
  after(() => app.close());

  it('item 11: SEN, Pupil Premium (FSM in the last six years) and looked-after markers, and the latest attainment level by name', async () => {
    const su = app.database.su;
    const { groupId, framework, items, levels, term } = await oakClassFramework(su, ids, 'attainment');
    const pupils: string[] = await su('group_members')
      .where({ group_id: groupId })
      .orderBy('pupil_id')
      .pluck('pupil_id');
    const [sen, ehcp, pp, lapsed, lac, plain] = pupils as [string, string, string, string, string, string];
    await su('pupils').whereIn('id', pupils).update({
      sen_status: 'N',
      sen_primary_need: null,
      sen_secondary_need: null,
      looked_after: false,
      service_child: false,
    });
    await su('pupil_fsm_periods').whereIn('pupil_id', pupils).del();
    await su('pupils').where({ id: sen }).update({ sen_status: 'K', sen_primary_need: 'SLCN' });
    await su('pupils').where({ id: ehcp }).update({ sen_status: 'E', sen_primary_need: 'ASD' });
    await su('pupils').where({ id: lac }).update({ looked_after: true });
    const yearsAgo = (n: number) => `${new Date().getFullYear() - n}-03-01`;
    await su('pupil_fsm_periods').insert([
      { school_id: ids.oakfield, pupil_id: pp, start_date: yearsAgo(4), end_date: yearsAgo(3) },
      { school_id: ids.oakfield, pupil_id: lapsed, start_date: yearsAgo(9), end_date: yearsAgo(7) },
    ]);
    const reading = items.find((i) => i.name === 'Reading')!;
    await su('assessment_scores').where({ pupil_id: plain, framework_id: framework.id }).del();
    await su('assessment_scores').insert({
      school_id: ids.oakfield,
      pupil_id: plain,
      framework_id: framework.id,
      item_id: reading.id,
      term_id: term.id,
      level_id: levels.get(3),
      value: 3,
      assessed_on: term.starts_on,
    });

    const teacher = await app.signIn('teacher@oakfield.test');
    const page = await teacher.get(`/groups/${groupId}`);
    expect(page.status).to.equal(200);
    const rowOf = (id: string) =>
      new RegExp(`<tr><th scope="row"><a href="/pupils/${id}">[\\s\\S]*?</tr>`).exec(page.text)![0];
    const markers = (id: string) =>
      [...rowOf(id).matchAll(/<span aria-hidden="true">([A-Z]+)<\/span>/g)].map((m) => m[1]);
    expect(markers(sen)).to.deep.equal(['SEN']);
    expect(markers(ehcp)).to.deep.equal(['EHCP']);
    expect(markers(pp)).to.deep.equal(['PP']);
    expect(markers(lapsed), 'FSM ended seven years ago is not Pupil Premium').to.deep.equal([]);
    expect(markers(lac), 'looked-after children attract Pupil Premium too').to.deep.equal(['PP', 'LAC']);
    expect(rowOf(sen)).to.contain('<span class="visually-hidden">SEN support</span>');
    const { name } = await su('frameworks').where({ id: framework.id }).first();
    expect(page.text).to.contain(`<th scope="col">${name}</th>`);
    expect(rowOf(plain)).to.match(/<td class="attainment">Reading EXS<\/td>/);
    const audit = await su('audit_events')
      .where({ action: 'assessment.viewed', entity_id: groupId })
      .orderBy('id', 'desc')
      .first();
    expect(audit.fields).to.deep.equal(['sen_status', 'looked_after', 'pupil_premium']);
  });
});
