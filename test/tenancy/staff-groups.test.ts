import { expect } from 'chai';
import { latestMail, linkIn, startTestApp, type TestApp } from '../helpers/app.js';
import { demoIds, type DemoIds } from '../helpers/demo.js';

/**
 * The staff pages are tenancy's, the classes and groups pupils': pupils contributes `staffGroups`,
 * and each use case still runs in one transaction with its audit row.
 */
describe('Tenancy: a school admin gives staff their classes and groups', () => {
  let app: TestApp;
  let ids: DemoIds;
  before(async () => {
    app = await startTestApp();
    ids = await demoIds(app.database.su);
  });
  after(() => app.close());

  const group = async (schoolId: string, name: string) =>
    (await app.database.su('groups').where({ school_id: schoolId, name }).first('id')).id as string;
  const assigned = (userId: string) =>
    app.database.su('group_staff as gs').join('groups as g', 'g.id', 'gs.group_id').where('gs.user_id', userId);

  it('the staff page labels each class with its year group and saves the choice as the TA role, audited', async () => {
    const admin = await app.signIn('admin@oakfield.test');
    const ta = ids.user('ta@oakfield.test');
    const page = await admin.get(`/staff/${ta}`);
    expect(page.status).to.equal(200);
    expect(page.text).to.contain('5 Oak (Year 5)');
    const chosen = [await group(ids.oakfield, '5 Oak'), await group(ids.oakfield, '6 Oak')];
    const saved = await admin.post(`/staff/${ta}/groups`, { groupIds: chosen }, { tokenFrom: `/staff/${ta}` });
    expect(saved.status).to.equal(303);
    const rows = await assigned(ta).orderBy('g.name').select('g.name', 'gs.role');
    expect(rows).to.deep.equal([
      { name: '5 Oak', role: 'teaching_assistant' },
      { name: '6 Oak', role: 'teaching_assistant' },
    ]);
    const audit = await app.database.su('audit_events').where({ action: 'staff.groups_changed', entity_id: ta });
    expect(audit).to.have.length(1);
    expect((await admin.get(`/staff/${ta}`)).text).to.contain('5 Oak, 6 Oak');
    expect((await admin.get('/staff')).text).to.contain('5 Oak, 6 Oak');
  });

  it("another school's group is refused (404) and nothing changes", async () => {
    const admin = await app.signIn('admin@oakfield.test');
    const ta = ids.user('ta@oakfield.test');
    const before = await assigned(ta).pluck('g.name');
    const theirs = (await app.database.su('groups').where({ school_id: ids.riverside }).first('id')).id;
    const res = await admin.post(`/staff/${ta}/groups`, { groupIds: theirs }, { tokenFrom: `/staff/${ta}` });
    expect(res.status).to.equal(404);
    expect(await assigned(ta).pluck('g.name')).to.have.members(before);
  });

  it('saving no classes removes them all', async () => {
    const admin = await app.signIn('admin@oakfield.test');
    const ta = ids.user('ta@oakfield.test');
    const res = await admin.post(`/staff/${ta}/groups`, {}, { tokenFrom: `/staff/${ta}` });
    expect(res.status).to.equal(303);
    expect(await assigned(ta)).to.deep.equal([]);
  });

  it('an accepted invitation joins the classes that still exist and are not archived', async () => {
    const admin = await app.signIn('admin@oakfield.test');
    const [kept, archived] = [await group(ids.oakfield, '5 Oak'), await group(ids.oakfield, '6 Oak')];
    const invited = await admin.post(
      '/staff/invite',
      {
        email: 'two.classes@oakfield.test',
        given_name: 'Two',
        family_name: 'Classes',
        roles: 'teacher',
        groupIds: [kept, archived],
      },
      { tokenFrom: '/staff/invite' },
    );
    expect(invited.status).to.equal(303);
    await app.database.su('groups').where({ id: archived }).update({ archived_at: app.database.su.fn.now() });
    const link = linkIn(latestMail(app.outboxDir), '/invitations/');
    const me = app.browser();
    await me.get(link);
    const password = 'lantern otter quarry violet';
    const done = await me.post(
      '/invitation',
      { given_name: 'Two', family_name: 'Classes', password, confirm: password },
      { tokenFrom: '/invitation' },
    );
    expect(done.status).to.equal(303);
    const user = await app.database.su('users').where({ email: 'two.classes@oakfield.test' }).first('id');
    expect(await assigned(user.id).select('g.name', 'gs.role')).to.deep.equal([{ name: '5 Oak', role: 'teacher' }]);
  });
});
