import { expect } from 'chai';
import { latestMail, linkIn, startTestApp, type TestApp } from '../helpers/app.js';

/** Issue 15, item 19: the invitation says who, where, as what and whom to ask; setting a password signs the person in. */
describe('An invitation from a school admin, as the invited person meets it', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  it('the email names the inviter, the school, the role and whom to ask; the new password signs them in', async () => {
    const admin = await app.signIn('admin@oakfield.test');
    const inviter = await app.database.su('users').where({ email: 'admin@oakfield.test' }).first();
    const res = await admin.post(
      '/staff/invite',
      { email: 'new.ta@oakfield.test', given_name: 'Noor', family_name: 'Hussain', roles: 'teaching_assistant' },
      { tokenFrom: '/staff/invite' },
    );
    expect(res.status).to.equal(303);
    const mail = latestMail(app.outboxDir, 'new.ta@oakfield.test').replace(/=\r?\n/g, '');
    const name = `${inviter.given_name} ${inviter.family_name}`;
    expect(mail).to.contain(
      `${name} has invited you to use Waypoint at Oakfield Primary School (role: Teaching assistant)`,
    );
    expect(mail).to.contain(`ask ${name} (admin@oakfield.test) at Oakfield Primary School`);

    const me = app.browser();
    await me.get(linkIn(mail, '/invitations/'));
    const password = 'lantern meadow copper violin';
    const done = await me.post(
      '/invitation',
      { given_name: 'Noor', family_name: 'Hussain', password, confirm: password },
      { tokenFrom: '/invitation' },
    );
    expect(done.status).to.equal(303);
    expect(done.headers.location).to.equal('/');
    const home = await me.get('/');
    expect(home.status).to.equal(200);
    expect(home.text).to.contain('Signed in as Noor Hussain');
    expect(home.text).to.contain('you are signed in');
    const user = await app.database.su('users').where({ email: 'new.ta@oakfield.test' }).first();
    const signIns = await app.database.su('audit_events').where({ action: 'auth.sign_in', actor_user_id: user.id });
    expect(signIns).to.have.length(1);
    expect(signIns[0].meta).to.deep.equal({ via: 'invitation' });
  });
});
