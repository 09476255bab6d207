import { expect } from 'chai';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { demoIds, type DemoIds } from '../helpers/demo.js';

describe('Sharing with trusts and local authorities through the web app', () => {
  let app: TestApp;
  let ids: DemoIds;
  before(async () => {
    app = await startTestApp();
    ids = await demoIds(app.database.su);
  });
  after(() => app.close());

  const auditRows = (action: string) => app.database.su('audit_events').where({ action }).orderBy('id');

  it('P2: turning trust sharing off hides the school from trust users at their next request, and is audited', async () => {
    const trust = await app.signIn('trust.admin@northstar.test');
    const overview = await trust.get('/trust');
    expect(overview.text).to.contain('Shares pupil data');
    const before = await trust.get(`/trust/schools/${ids.oakfield}`);
    expect(before.status).to.equal(200);
    const first = await app.database
      .su('pupils')
      .where({ school_id: ids.oakfield })
      .whereNull('restricted_at')
      .orderBy('surname')
      .first();
    const somePupil = `${first.surname}, ${first.legal_forename}`;
    expect(before.text).to.contain(somePupil);
    expect((await trust.get(`/trust/schools/${ids.riverside}`)).status).to.equal(403);

    const admin = await app.signIn('admin@oakfield.test');
    const settings = await admin.get('/settings');
    const version = /name="version" value="(\d+)"/.exec(settings.text)![1]!;
    const off = await admin.post(
      '/settings',
      { version, mis_import_allowed: undefined, dsl_name: 'Dan Shah' },
      { tokenFrom: '/settings' },
    );
    expect(off.status).to.equal(303);

    const after = await trust.get(`/trust/schools/${ids.oakfield}`);
    expect(after.status).to.equal(403);
    expect(after.text).not.to.contain(somePupil);
    expect((await trust.get('/trust')).text).not.to.contain('Shares pupil data');
    const [event] = await auditRows('settings.sharing_changed');
    expect(event).to.include({ school_id: ids.oakfield, entity_type: 'school', outcome: 'ok' });
    expect(event.fields).to.deep.equal(['share_with_trust']);
    expect(event.meta).to.deep.equal({ share_with_trust: false });

    const v2 = /name="version" value="(\d+)"/.exec((await admin.get('/settings')).text)![1]!;
    await admin.post(
      '/settings',
      { version: v2, share_with_trust: 'on', dsl_name: 'Dan Shah' },
      { tokenFrom: '/settings' },
    );
    expect((await trust.get(`/trust/schools/${ids.oakfield}`)).status).to.equal(200);
  });
});
