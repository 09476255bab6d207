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

  it('turning trust sharing off from the settings page first says what it does, and changes nothing until confirmed', async () => {
    const admin = await app.signIn('admin@oakfield.test');
    const page = await admin.get('/settings');
    expect(page.text).to.contain('name="confirm_stop_sharing" value="ask"');
    const version = /name="version" value="(\d+)"/.exec(page.text)![1]!;
    const asked = await admin.post(
      '/settings',
      { version, confirm_stop_sharing: 'ask', mis_import_allowed: 'on', dsl_name: 'Dan Shah' },
      { tokenFrom: '/settings' },
    );
    expect(asked.status).to.equal(200);
    expect(asked.text).to.contain('Stop sharing pupil data with Northstar Learning Trust?');
    expect(asked.text).to.contain('loses access to your pupils at once');
    expect(asked.text).to.contain('Keep sharing');
    const settings = () => app.database.su('school_settings').where({ school_id: ids.oakfield }).first();
    expect((await settings()).share_with_trust, 'nothing changes before confirming').to.equal(true);
    expect(await auditRows('settings.sharing_changed')).to.have.length(2);

    // The confirmation re-posts what was typed, without asking again.
    const hidden = Object.fromEntries(
      [...asked.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!]),
    );
    expect(hidden).to.include({ version, dsl_name: 'Dan Shah', mis_import_allowed: 'on' });
    expect(hidden).not.to.have.property('confirm_stop_sharing');
    const confirmed = await admin.postRaw('/settings', hidden);
    expect(confirmed.status).to.equal(303);
    expect((await settings()).share_with_trust).to.equal(false);

    // Turning sharing on, or saving with it unchanged, asks nothing.
    const v2 = /name="version" value="(\d+)"/.exec((await admin.get('/settings')).text)![1]!;
    const on = await admin.post(
      '/settings',
      {
        version: v2,
        confirm_stop_sharing: 'ask',
        share_with_trust: 'on',
        mis_import_allowed: 'on',
        dsl_name: 'Dan Shah',
      },
      { tokenFrom: '/settings' },
    );
    expect(on.status).to.equal(303);
    expect((await settings()).share_with_trust).to.equal(true);
  });
});
