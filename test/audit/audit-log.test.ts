import { expect } from 'chai';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { demoIds, type DemoIds } from '../helpers/demo.js';

describe('The audit log through the web app (L1, P13)', () => {
  let app: TestApp;
  let ids: DemoIds;
  before(async () => {
    app = await startTestApp();
    ids = await demoIds(app.database.su);
  });
  after(() => app.close());

  it('L1 and P13: sign-in success and failure, sign-out and denials each write an audit row with IP and request id', async () => {
    const start = (await app.database.su('audit_events').max('id as id'))[0]!.id;
    const b = await app.signIn('teacher@oakfield.test');
    const bad = app.browser();
    await bad.postRaw('/sign-in', {
      _csrf: await bad.csrf('/sign-in'),
      email: 'teacher@oakfield.test',
      password: 'definitely not it',
    });
    const denied = await b.get('/audit');
    expect(denied.status).to.equal(403);
    await b.post('/sign-out');
    const rows = await app.database.su('audit_events').where('id', '>', start).orderBy('id');
    const teacherId = ids.user('teacher@oakfield.test');
    const of = (action: string) => rows.filter((r) => r.action === action && r.actor_user_id === teacherId);
    for (const action of ['auth.sign_in', 'auth.sign_in_failed', 'access.denied', 'auth.sign_out']) {
      expect(of(action), action).to.have.length(1);
      expect(of(action)[0]).to.include({ school_id: ids.oakfield });
      expect(of(action)[0].ip).to.match(/127\.0\.0\.1/);
      expect(of(action)[0].request_id).to.match(/^[0-9a-f-]{36}$/);
    }
    expect(of('access.denied')[0].outcome).to.equal('denied');
    expect(JSON.stringify(rows)).not.to.contain('definitely not it');
  });

  it('P13: the school admin searches the audit log by person, action and date; htmx gets just the results', async () => {
    const admin = await app.signIn('admin@oakfield.test');
    const teacherId = ids.user('teacher@oakfield.test');
    const page = await admin.get(`/audit?user=${teacherId}&action=auth.sign_in`);
    expect(page.status).to.equal(200);
    expect(page.text).to.contain('<h1>Audit log</h1>');
    expect(page.text).to.contain('Tom Ellis');
    expect(page.text).not.to.contain('Anita Khan</td>');
    const fragment = await admin.get(`/audit?user=${teacherId}&action=auth.sign_in`).set('HX-Request', 'true');
    expect(fragment.text).not.to.contain('<h1>');
    expect(fragment.text).to.contain('Tom Ellis');
    expect(fragment.headers.vary).to.contain('HX-Request');
    const today = new Date().toISOString().slice(0, 10);
    const future = await admin.get(`/audit?from=2099-01-01`);
    expect(future.text).to.contain('No entries match');
    const dated = await admin.get(`/audit?from=${today}&to=${today}`);
    expect(dated.text).to.contain('Signed in');
    const invalid = await admin.get('/audit?from=yesterday');
    expect(invalid.status).to.equal(400);
    expect(invalid.text).to.contain('Enter the from date like 2026-09-01');
    // Other schools' entries never appear.
    const riversideEvents = await app.database
      .su('audit_events')
      .where({ school_id: ids.riverside })
      .pluck('request_id');
    const all = await admin.get('/audit');
    for (const r of riversideEvents.filter(Boolean)) expect(all.text).not.to.contain(r);
  });

  it('P13: the audit log pages through older entries', async () => {
    const admin = await app.signIn('admin@oakfield.test');
    const uid = ids.user('admin@oakfield.test');
    await app.database.su('audit_events').insert(
      Array.from({ length: 60 }, () => ({
        school_id: ids.oakfield,
        actor_user_id: uid,
        actor_kind: 'staff',
        action: 'pupil.listed',
      })),
    );
    const first = await admin.get('/audit?action=pupil.listed');
    expect((first.text.match(/<tr>/g) ?? []).length).to.equal(51);
    const older = /href="(\/audit\?[^"]*before=\d+)"/.exec(first.text)![1]!.replace(/&amp;/g, '&');
    const second = await admin.get(older);
    expect((second.text.match(/<tr>/g) ?? []).length).to.equal(11);
    expect(second.text).to.contain('Newest entries');
  });
});
