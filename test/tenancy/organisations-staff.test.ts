import { expect } from 'chai';
import { latestMail, linkIn, startTestApp, type TestApp } from '../helpers/app.js';
import { demoIds, type DemoIds } from '../helpers/demo.js';

describe('Organisations, staff and settings through the web app', () => {
  let app: TestApp;
  let ids: DemoIds;
  before(async () => {
    app = await startTestApp();
    ids = await demoIds(app.database.su);
  });
  after(() => app.close());

  it('R5: a stale settings save is refused with 409 and a page showing what you chose and what is there now', async () => {
    const admin = await app.signIn('admin@oakfield.test');
    const page = await admin.get('/settings');
    const version = /name="version" value="(\d+)"/.exec(page.text)![1]!;
    const first = await admin.post(
      '/settings',
      { version, share_with_trust: 'on', mis_import_allowed: 'on' },
      { tokenFrom: '/settings' },
    );
    expect(first.status).to.equal(303);
    const stale = await admin.post('/settings', { version, share_with_trust: 'on' }, { tokenFrom: '/settings' });
    expect(stale.status).to.equal(409);
    expect(stale.text).to.contain('changed by someone else');
    expect(stale.text).to.contain('MIS import not allowed');
    expect(stale.text).to.match(/id="f-mis_import_allowed" name="mis_import_allowed" value="on" checked/);
    const row = await app.database.su('school_settings').where({ school_id: ids.oakfield }).first();
    expect(row.mis_import_allowed).to.equal(true);
  });

  it('A2: extra school_id, id or role fields in a form change nothing', async () => {
    const admin = await app.signIn('admin@oakfield.test');
    const version = /name="version" value="(\d+)"/.exec((await admin.get('/settings')).text)![1]!;
    const res = await admin.post(
      '/settings',
      {
        version,
        share_with_trust: 'on',
        school_id: ids.riverside,
        id: ids.riverside,
        updated_by: ids.user('head@riverside.test'),
      },
      { tokenFrom: '/settings' },
    );
    expect(res.status).to.equal(303);
    const riverside = await app.database.su('school_settings').where({ school_id: ids.riverside }).first();
    expect(riverside.share_with_trust).to.equal(false);
    const oak = await app.database.su('school_settings').where({ school_id: ids.oakfield }).first();
    expect(oak.updated_by).to.equal(ids.user('admin@oakfield.test'));

    const invite = await admin.post(
      '/staff/invite',
      {
        email: 'new.teacher@oakfield.test',
        given_name: 'Nia',
        family_name: 'Okafor',
        roles: 'teacher',
        role: 'school_admin',
        school_id: ids.riverside,
        org_id: ids.riverside,
        kind: 'operator',
        id: ids.riverside,
      },
      { tokenFrom: '/staff/invite' },
    );
    expect(invite.status).to.equal(303);
    // An invitation, for this school and the role chosen, and no account until it is accepted.
    const invitations = await app.database
      .su('invitations')
      .where({ email: 'new.teacher@oakfield.test' })
      .select('org_id', 'roles', 'invited_by');
    expect(invitations).to.deep.equal([
      { org_id: ids.oakfield, roles: ['teacher'], invited_by: ids.user('admin@oakfield.test') },
    ]);
    expect(await app.database.su('users').where({ email: 'new.teacher@oakfield.test' })).to.have.length(0);
  });

  it('a school admin invites a teacher with a class; the teacher sets a password from the emailed link and sees it', async () => {
    const admin = await app.signIn('admin@oakfield.test');
    const group = await app.database.su('groups').where({ school_id: ids.oakfield, name: '5 Oak' }).first();
    const invalid = await admin.post(
      '/staff/invite',
      { email: 'not-an-email', given_name: '', family_name: 'Ali', roles: undefined },
      { tokenFrom: '/staff/invite' },
    );
    expect(invalid.status).to.equal(422);
    expect(invalid.text).to.contain('There is a problem');
    expect(invalid.text).to.contain('href="#f-email"');
    expect(invalid.text).to.contain('Choose at least one role');
    expect(invalid.text).to.contain('value="Ali"');

    const res = await admin.post(
      '/staff/invite',
      {
        email: 'Zainab.Ali@Oakfield.test',
        title: 'Ms',
        given_name: 'Zainab',
        family_name: 'Ali',
        job_title: 'Year 5 teacher',
        roles: 'teacher',
        groupIds: group.id,
      },
      { tokenFrom: '/staff/invite' },
    );
    expect(res.status).to.equal(303);
    const mail = latestMail(app.outboxDir);
    expect(mail).to.contain('To: zainab.ali@oakfield.test');
    const link = linkIn(mail, '/invitations/');
    const me = app.browser();
    await me.get(link);
    const form = await me.get('/invitation');
    expect(form.text).to.contain('Set up your account');
    const password = 'granite puffin orchard melody';
    const done = await me.post(
      '/invitation',
      { title: 'Ms', given_name: 'Zainab', family_name: 'Ali', password, confirm: password },
      { tokenFrom: '/invitation' },
    );
    expect(done.status).to.equal(303);
    const teacher = await app.signIn('zainab.ali@oakfield.test', password);
    const home = await teacher.get('/');
    expect(home.text).to.contain('5 Oak');
    const page = await teacher.get(`/groups/${group.id}`);
    expect(page.status).to.equal(200);
    const other = await app.database.su('groups').where({ school_id: ids.oakfield, name: '3 Oak' }).first();
    expect((await teacher.get(`/groups/${other.id}`)).status).to.equal(403);
    const events = await app.database.su('audit_events').where({ action: 'auth.invitation_accepted' });
    expect(events).to.have.length(1);
    // Single use: the same link does not work twice.
    const again = app.browser();
    await again.get(link);
    expect((await again.get('/invitation')).status).to.equal(410);
  });

  it('an invitation link expires after 7 days', async () => {
    const admin = await app.signIn('admin@oakfield.test');
    expect(
      (
        await admin.post(
          '/staff/invite',
          { email: 'late.starter@oakfield.test', given_name: 'Lee', family_name: 'Late', roles: 'teacher' },
          { tokenFrom: '/staff/invite' },
        )
      ).status,
    ).to.equal(303);
    const link = linkIn(latestMail(app.outboxDir), '/invitations/');
    const token = await app.database.su('invitations').where({ email: 'late.starter@oakfield.test' }).first();
    expect(Date.parse(token.expires_at) - Date.parse(token.created_at)).to.be.closeTo(7 * 86400000, 60000);
    await app.database
      .su('invitations')
      .where({ id: token.id })
      .update({ expires_at: app.database.su.raw(`now() - interval '1 second'`) });
    const me = app.browser();
    await me.get(link);
    const page = await me.get('/invitation');
    expect(page.status).to.equal(410);
    expect(page.text).not.to.contain('Set up your account');
  });

  it('R4: ten identical concurrent invitation POSTs make one invitation and one audit row', async () => {
    const admin = await app.signIn('admin@oakfield.test');
    const token = await admin.csrf('/staff/invite');
    const key = '4b0b3a4e-5d1c-4c8e-9d55-2f1f0a7b9c01';
    const form = {
      _csrf: token,
      submissionKey: key,
      email: 'double.click@oakfield.test',
      given_name: 'Dee',
      family_name: 'Click',
      roles: ['teacher', 'senco'],
    };
    const responses = await Promise.all(Array.from({ length: 10 }, () => admin.postRaw('/staff/invite', form)));
    for (const r of responses) expect(r.status).to.equal(303);
    const invitations = await app.database.su('invitations').where({ email: 'double.click@oakfield.test' });
    expect(invitations).to.have.length(1);
    expect(invitations[0].roles).to.deep.equal(['teacher', 'senco']);
    expect(
      await app.database.su('audit_events').where({ action: 'staff.invited', entity_id: invitations[0].id }),
    ).to.have.length(1);
  });

  it('A3: removing a role or disabling a user takes effect at their next request, and their sessions end', async () => {
    const senco = await app.signIn('senco@oakfield.test');
    const pupil = await app.database.su('groups').where({ school_id: ids.oakfield, name: '6 Oak' }).first();
    expect((await senco.get(`/groups/${pupil.id}`)).status).to.equal(200);
    const admin = await app.signIn('admin@oakfield.test');
    const sencoId = ids.user('senco@oakfield.test');
    const res = await admin.post(
      `/staff/${sencoId}/roles`,
      { roles: 'teaching_assistant' },
      { tokenFrom: `/staff/${sencoId}` },
    );
    expect(res.status).to.equal(303);
    expect((await senco.get('/')).status, 'session ended').to.equal(303);
    const again = await app.signIn('senco@oakfield.test');
    expect((await again.get(`/groups/${pupil.id}`)).status, 'now only a TA with no groups').to.equal(403);

    const dis = await admin.post(`/staff/${sencoId}/disable`, {}, { tokenFrom: `/staff/${sencoId}` });
    expect(dis.status).to.equal(303);
    expect((await again.get('/')).status).to.equal(303);
    const b = app.browser();
    const token = await b.csrf('/sign-in');
    const blocked = await b.postRaw('/sign-in', {
      _csrf: token,
      email: 'senco@oakfield.test',
      password: 'waypoint-demo-password',
    });
    expect(blocked.status, 'a disabled member with nowhere else to work cannot sign in').to.equal(401);
    expect(blocked.text).to.contain('Enter a correct email address and password');
    expect((await b.get('/')).headers.location).to.match(/^\/sign-in/);

    await admin.post(`/staff/${sencoId}/enable`, {}, { tokenFrom: `/staff/${sencoId}` });
    await admin.post(`/staff/${sencoId}/roles`, { roles: 'senco' }, { tokenFrom: `/staff/${sencoId}` });
    const actions = await app.database.su('audit_events').where({ entity_id: sencoId }).orderBy('id').pluck('action');
    expect(actions).to.include.members(['staff.role_removed', 'staff.role_added', 'staff.disabled', 'staff.enabled']);
  });

  it('a school keeps at least one school admin', async () => {
    const admin = await app.signIn('admin@oakfield.test');
    const me = ids.user('admin@oakfield.test');
    const res = await admin.post(`/staff/${me}/roles`, { roles: 'teacher' }, { tokenFrom: `/staff/${me}` });
    expect(res.status).to.equal(409);
    expect(res.text).to.contain('at least one active school admin');
    const roles = await app.database.su('memberships').where({ user_id: me }).pluck('role');
    expect(roles).to.deep.equal(['school_admin']);
  });

  it('the operator creates a school in a trust and invites its first admin, who can then sign in', async () => {
    const op = await app.signIn('operator@waypoint.test');
    const list = await op.get('/operator');
    expect(list.text).to.contain('Oakfield Primary School');
    const bad = await op.post(
      '/operator/organisations',
      { kind: 'school', name: '', urn: '12', phase: 'primary' },
      { tokenFrom: '/operator/organisations/new' },
    );
    expect(bad.status).to.equal(422);
    expect(bad.text).to.contain('A URN is 6 or 7 digits');
    const created = await op.post(
      '/operator/organisations',
      {
        kind: 'school',
        name: 'Meadow Lane Primary',
        phase: 'primary',
        trust_id: ids.trust,
        urn: '123456',
        la_code: '801',
        establishment_number: '2002',
      },
      { tokenFrom: '/operator/organisations/new' },
    );
    expect(created.status).to.equal(303);
    const orgPath = created.headers.location as string;
    const schoolId = orgPath.split('/').at(-1)!;
    const settings = await app.database.su('school_settings').where({ school_id: schoolId }).first();
    expect(settings).to.include({ share_with_trust: false, share_with_la: false, mis_import_allowed: false });
    const invite = await op.post(
      `${orgPath}/admins`,
      { email: 'office@meadowlane.test', given_name: 'Mo', family_name: 'Lane' },
      { tokenFrom: orgPath },
    );
    expect(invite.status).to.equal(303);
    const link = linkIn(latestMail(app.outboxDir), '/invitations/');
    const b = app.browser();
    await b.get(link);
    const password = 'sparrow copper meadow ninety';
    await b.post(
      '/invitation',
      { given_name: 'Mo', family_name: 'Lane', password, confirm: password },
      { tokenFrom: '/invitation' },
    );
    const admin = await app.signIn('office@meadowlane.test', password);
    const staffPage = await admin.get('/staff');
    expect(staffPage.status).to.equal(200);
    expect(staffPage.text).to.contain('Mo Lane');
    expect(
      (await app.database.su('audit_events').where({ action: 'org.created', school_id: schoolId })).length,
    ).to.equal(1);
    // The new school does not share with the trust until its admin says so.
    const trust = await app.signIn('trust.admin@northstar.test');
    expect((await trust.get(`/trust/schools/${schoolId}`)).status).to.equal(403);
  });
});
