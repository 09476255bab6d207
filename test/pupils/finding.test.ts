import { expect } from 'chai';
import { startTestApp, type Browser, type TestApp } from '../helpers/app.js';
import { demoIds, type DemoIds } from '../helpers/demo.js';

const countIn = (html: string) => Number(/<strong>(\d+)<\/strong> pupil/.exec(html)?.[1] ?? -1);

/** Staff finding pupils and classes: search, year groups, school order, links they can open (issue 15). */
describe('Pupils: finding pupils and classes', () => {
  let app: TestApp;
  let ids: DemoIds;
  let admin: Browser;
  before(async () => {
    app = await startTestApp();
    ids = await demoIds(app.database.su);
    admin = await app.signIn('admin@oakfield.test');
  });
  after(() => app.close());

  it('finds a pupil by "Surname, Forename" as lists write it, by either order, and by lower-case UPN or MIS ID', async () => {
    const su = app.database.su;
    const p = await su('pupils')
      .where({ school_id: ids.oakfield })
      .whereNotNull('upn')
      .whereNotNull('mis_id')
      .orderBy('upn')
      .first();
    await su('pupils').where({ id: p.id }).update({ mis_id: 'Sample-Find-001' });
    for (const term of [
      `${p.surname}, ${p.legal_forename}`,
      `${p.legal_forename} ${p.surname}`,
      `${p.surname.toLowerCase()},${p.legal_forename.toLowerCase()}`,
      p.upn.toLowerCase(),
      'sample-find-001',
      'SAMPLE-FIND-001',
    ]) {
      const res = await admin.get(`/pupils?q=${encodeURIComponent(term)}`);
      expect(res.text, term).to.contain(`/pupils/${p.id}`);
    }
    expect(countIn((await admin.get(`/pupils?q=${encodeURIComponent(p.upn.toLowerCase())}`)).text)).to.equal(1);

    // The class page's "add pupils" search takes names the same way.
    const other = await su('groups')
      .where({ school_id: ids.oakfield, kind: 'class' })
      .whereNot('year_group', p.year_group)
      .first();
    const add = await admin.get(
      `/groups/${other.id}?add=1&add_year=${p.year_group}&add_q=${encodeURIComponent(`${p.surname}, ${p.legal_forename}`)}`,
    );
    expect(add.status).to.equal(200);
    expect(add.text).to.contain(p.id);
  });
});
