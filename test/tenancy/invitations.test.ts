import { expect } from 'chai';
import { type Browser, latestMail, linkIn, startTestApp, type TestApp } from '../helpers/app.js';
import { demoIds, type DemoIds } from '../helpers/demo.js';

/**
 * Field defects 3 and 4, replayed: the operator making itself a school admin (P1), and a school
 * capturing another school's staff account by inviting its email (A1).
 */
describe('Invitations: accepted by the person, never attached by the inviter', () => {
  let app: TestApp;
  let ids: DemoIds;
  before(async () => {
    app = await startTestApp();
    ids = await demoIds(app.database.su);
  });
  after(() => app.close());

  const mailsTo = (email: string) => latestMailTo(app, email);

  it('P1: the operator cannot invite an admin into a school that has one; its attempt is refused, audited, and leads to no pupil data', async () => {
    const op = await app.signIn('operator@waypoint.test');
    const orgPath = `/operator/organisations/${ids.oakfield}`;
    const page = await op.get(orgPath);
    expect(page.text).not.to.contain(`action="${orgPath}/admins"`);
    expect(page.text).to.contain('Ask for a change of admin');
    // The replay: invite someone@example.test as Oakfield's admin.
    const res = await op.post(
      `${orgPath}/admins`,
      { email: 'someone@example.test', given_name: 'Some', family_name: 'One' },
      { tokenFrom: orgPath },
    );
    expect(res.status).to.equal(403);
    expect(await app.database.su('invitations').where({ email: 'someone@example.test' })).to.have.length(0);
    const denied = await app.database
      .su('audit_events')
      .where({ action: 'access.denied', actor_user_id: ids.user('operator@waypoint.test') });
    expect(denied.map((d) => d.meta?.action)).to.include('operator.invite_first_admin');
    expect(() => linkIn(mailsTo('someone@example.test'), '/invitations/')).to.throw();
  });

  it('P1: row-level security refuses the operator the same invitation, and any membership or account change, even by raw SQL', async () => {
    const opId = ids.user('operator@waypoint.test');
    const asOperator = async (sql: string, bindings: unknown[] = []) =>
      app.database.db.withActor({ kind: 'operator', userId: opId, meta: {} }, (trx) => trx.raw(sql, bindings as never));
    const tries = [
      [
        `insert into invitations (org_id, email, given_name, family_name, roles, token_hash, expires_at) values (?, 'x@example.test', 'X', 'Y', '{school_admin}', '\\x01', now() + interval '1 day')`,
        [ids.oakfield],
      ],
      [`insert into memberships (user_id, org_id, role) values (?, ?, 'school_admin')`, [opId, ids.oakfield]],
      [`update users set password_hash = 'x' where email = 'admin@oakfield.test'`, []],
    ] as const;
    for (const [sql, bindings] of tries) {
      const outcome = await asOperator(sql, [...bindings]).then(
        (r: { rowCount?: number }) => `ok ${r.rowCount}`,
        (e: Error) => e.message,
      );
      expect(outcome, sql).to.match(/row-level security|ok 0/);
    }
    expect((await app.database.su('users').where({ email: 'admin@oakfield.test' }).first()).password_hash).to.match(
      /^\$argon2id/,
    );
  });

  it("P1: the operator requests an admin change; it reaches the school's log and staff page, and only the school admin's approval sends an invitation", async () => {
    const op = await app.signIn('operator@waypoint.test');
    const orgPath = `/operator/organisations/${ids.oakfield}`;
    const req = await op.post(
      `${orgPath}/admin-requests`,
      {
        email: 'New.Bursar@Oakfield.test',
        given_name: 'Nell',
        family_name: 'Bursar',
        reason: 'The school business manager asked us by phone.',
      },
      { tokenFrom: orgPath },
    );
    expect(req.status).to.equal(303);
    expect(await app.database.su('invitations').where({ email: 'new.bursar@oakfield.test' })).to.have.length(0);
    expect(mailsTo('admin@oakfield.test')).to.contain('asked to add a new admin');
    const logged = await app.database
      .su('audit_events')
      .where({ action: 'org.admin_change_requested', school_id: ids.oakfield });
    expect(logged).to.have.length(1);

    const admin = await app.signIn('admin@oakfield.test');
    const staff = await admin.get('/staff');
    expect(staff.text).to.contain('Requests from the Waypoint operator');
    expect(staff.text).to.contain('The school business manager asked us by phone.');
    const id = /\/staff\/admin-requests\/([0-9a-f-]{36})\/approve/.exec(staff.text)![1]!;
    // Another school's admin cannot decide it.
    const riverside = await app.signIn('head@riverside.test');
    expect((await riverside.post(`/staff/admin-requests/${id}/approve`, {}, { tokenFrom: '/staff' })).status).to.equal(
      404,
    );
    expect((await admin.post(`/staff/admin-requests/${id}/approve`, {}, { tokenFrom: '/staff' })).status).to.equal(303);
    const invitation = await app.database.su('invitations').where({ email: 'new.bursar@oakfield.test' }).first();
    expect(invitation).to.include({ org_id: ids.oakfield, invited_by: ids.user('admin@oakfield.test') });
    expect(invitation.roles).to.deep.equal(['school_admin']);
    expect(linkIn(mailsTo('new.bursar@oakfield.test'), '/invitations/')).to.match(/^\/invitations\//);
    // Decided once: approving again is not possible.
    expect((await admin.post(`/staff/admin-requests/${id}/approve`, {}, { tokenFrom: '/staff' })).status).to.equal(404);
  });

  it("A1: inviting another school's head attaches nothing and shows nothing of their account until they accept", async () => {
    const admin = await app.signIn('admin@oakfield.test');
    const victimId = ids.user('head@riverside.test');
    const victim = await app.database.su('users').where({ id: victimId }).first();
    const riversideSession = await app.signIn('head@riverside.test');
    const res = await admin.post(
      '/staff/invite',
      { email: 'head@riverside.test', given_name: 'Typed', family_name: 'Byoakfield', roles: 'teaching_assistant' },
      { tokenFrom: '/staff/invite' },
    );
    expect(res.status).to.equal(303);
    expect(await app.database.su('memberships').where({ user_id: victimId, org_id: ids.oakfield })).to.have.length(0);
    const list = await admin.get('/staff');
    expect(list.text).to.contain('Typed Byoakfield');
    for (const secret of [victim.family_name, victim.job_title].filter(Boolean))
      expect(list.text).not.to.contain(secret);
    // Oakfield cannot reach, disable or audit the account.
    expect((await admin.get(`/staff/${victimId}`)).status).to.equal(404);
    expect((await admin.post(`/staff/${victimId}/disable`, {}, { tokenFrom: '/staff' })).status).to.equal(404);
    expect((await riversideSession.get('/')).status, 'their Riverside session is untouched').to.equal(200);
    const audit = await admin.get('/audit');
    expect(audit.text).not.to.contain(victim.family_name);

    // They see the invitation on their own account page and may decline it.
    const account = await riversideSession.get('/account');
    expect(account.text).to.contain('Invitations waiting for you');
    expect(account.text).to.contain('Oakfield Primary School');
    const invitation = await app.database.su('invitations').where({ email: 'head@riverside.test' }).first();
    expect(
      (await riversideSession.post(`/account/invitations/${invitation.id}/decline`, {}, { tokenFrom: '/account' }))
        .status,
    ).to.equal(303);
    expect((await admin.get('/staff')).text).to.contain('Declined');
    expect(await app.database.su('memberships').where({ user_id: victimId, org_id: ids.oakfield })).to.have.length(0);
  });

  it('A1: a person with an account accepts by signing in; then a school ends only its own context, and sees only its own events', async () => {
    const admin = await app.signIn('admin@oakfield.test');
    await admin.post(
      '/staff/invite',
      { email: 'teacher@riverside.test', given_name: 'Wil', family_name: 'Low', roles: 'teacher' },
      { tokenFrom: '/staff/invite' },
    );
    const link = linkIn(mailsTo('teacher@riverside.test'), '/invitations/');
    const b = app.browser();
    await b.get(link);
    const page = await b.get('/invitation');
    expect(page.text).to.contain('Sign in to accept');
    expect(page.text).not.to.contain('Set up your account');
    const token = await b.csrf('/sign-in');
    expect(
      (
        await b.postRaw('/sign-in', {
          _csrf: token,
          email: 'teacher@riverside.test',
          password: 'waypoint-demo-password',
          next: '/invitation',
        })
      ).headers.location,
    ).to.equal('/invitation');
    const accept = await b.get('/invitation');
    expect(accept.text).to.contain('Accept the invitation');
    expect((await b.post('/invitation/accept', {}, { tokenFrom: '/invitation' })).status).to.equal(303);
    const teacherId = ids.user('teacher@riverside.test');
    expect(
      await app.database.su('memberships').where({ user_id: teacherId }).orderBy('role').pluck('org_id'),
    ).to.have.members([ids.riverside, ids.oakfield]);

    // Working at Riverside, then Oakfield disables its own membership: the Riverside session carries on.
    const ctx = await b.csrf('/choose');
    await b.postRaw('/choose', { _csrf: ctx, context: ids.riverside });
    expect((await b.get('/')).status).to.equal(200);
    expect((await admin.post(`/staff/${teacherId}/disable`, {}, { tokenFrom: `/staff/${teacherId}` })).status).to.equal(
      303,
    );
    expect((await b.get('/')).status, 'still signed in at Riverside').to.equal(200);
    // Oakfield's log holds none of their sign-ins or choices of Riverside (events of Riverside's context).
    expect(
      await app.database
        .su('audit_events')
        .where({ actor_user_id: teacherId, school_id: ids.oakfield })
        .where('action', 'like', 'auth.sign%'),
    ).to.have.length(0);
    // While they work in two places, a sign-in belongs to neither school until they choose one.
    await admin.post(`/staff/${teacherId}/enable`, {}, { tokenFrom: `/staff/${teacherId}` });
    await app.signIn('teacher@riverside.test');
    const latest = await app.database
      .su('audit_events')
      .where({ actor_user_id: teacherId, action: 'auth.sign_in' })
      .orderBy('id', 'desc')
      .first();
    expect(latest.school_id).to.equal(null);
    expect(
      await app.database
        .su('audit_events')
        .where({ actor_user_id: teacherId, school_id: ids.oakfield, action: 'auth.context_chosen' }),
    ).to.have.length(0);
    expect(
      await app.database
        .su('audit_events')
        .where({ actor_user_id: teacherId, school_id: ids.riverside, action: 'auth.context_chosen' }),
    ).to.have.length(1);
  });

  it('someone who works in several places accepts a further invitation without choosing a school first', async () => {
    // teacher@riverside.test works at Riverside and Oakfield after the test above.
    const hillcrest = await app.signIn('head@hillcrest.test');
    await hillcrest.post(
      '/staff/invite',
      { email: 'teacher@riverside.test', given_name: 'Wil', family_name: 'Low', roles: 'teacher' },
      { tokenFrom: '/staff/invite' },
    );
    const b = app.browser();
    await b.get(linkIn(mailsTo('teacher@riverside.test'), '/invitations/'));
    const token = await b.csrf('/sign-in');
    await b.postRaw('/sign-in', {
      _csrf: token,
      email: 'teacher@riverside.test',
      password: 'waypoint-demo-password',
      next: '/invitation',
    });
    expect((await b.get('/invitation')).text).to.contain('Accept the invitation');
    expect((await b.post('/invitation/accept', {}, { tokenFrom: '/invitation' })).status).to.equal(303);
    expect(
      await app.database
        .su('memberships')
        .where({ user_id: ids.user('teacher@riverside.test'), org_id: ids.hillcrest }),
    ).to.have.length(1);
  });

  it("A1 and AU5: inviting a parent's or the operator's email answers exactly as for anyone, and that account gains nothing", async () => {
    const admin = await app.signIn('admin@oakfield.test');
    const answers: string[] = [];
    for (const email of ['parent@oakfield.test', 'operator@waypoint.test', 'brand.new.person@oakfield.test']) {
      const res = await admin.post(
        '/staff/invite',
        { email, given_name: 'Ann', family_name: 'Other', roles: 'teacher' },
        { tokenFrom: '/staff/invite' },
      );
      expect(res.status, email).to.equal(303);
      const next = await admin.get(res.headers.location as string);
      // What the school is told: the status, where it lands, and the message shown there.
      answers.push(
        `${res.status} ${res.headers.location} ${/<div class="banner[^]*?<\/div>/.exec(next.text)?.[0].replace(email, 'EMAIL')}`,
      );
    }
    expect(answers[0]).to.equal(answers[2]);
    expect(answers[1]).to.equal(answers[2]);
    for (const email of ['parent@oakfield.test', 'operator@waypoint.test']) {
      const user = await app.database.su('users').where({ email }).first();
      expect(await app.database.su('memberships').where({ user_id: user.id, org_id: ids.oakfield })).to.have.length(0);
      // Only the link holder learns why it cannot be accepted.
      const b = app.browser();
      await b.get(linkIn(mailsTo(email), '/invitations/'));
      const page = await b.get('/invitation');
      expect(page.text).to.contain('cannot hold staff roles');
      expect(page.text).not.to.contain('Set up your account');
    }
  });

  it("a withdrawn or re-sent invitation's old link stops working", async () => {
    const admin = await app.signIn('admin@oakfield.test');
    await admin.post(
      '/staff/invite',
      { email: 'resend.me@oakfield.test', given_name: 'Re', family_name: 'Send', roles: 'teacher' },
      { tokenFrom: '/staff/invite' },
    );
    const first = linkIn(mailsTo('resend.me@oakfield.test'), '/invitations/');
    const id = (await app.database.su('invitations').where({ email: 'resend.me@oakfield.test' }).first()).id;
    expect((await admin.post(`/staff/invitations/${id}/resend`, {}, { tokenFrom: '/staff' })).status).to.equal(303);
    const second = linkIn(mailsTo('resend.me@oakfield.test'), '/invitations/');
    expect(second).not.to.equal(first);
    expect(await openLink(app.browser(), first)).to.equal(410);
    expect(await openLink(app.browser(), second)).to.equal(200);
    expect((await admin.post(`/staff/invitations/${id}/revoke`, {}, { tokenFrom: '/staff' })).status).to.equal(303);
    expect(await openLink(app.browser(), second)).to.equal(410);
  });
});

async function openLink(b: Browser, link: string): Promise<number> {
  await b.get(link);
  return (await b.get('/invitation')).status;
}

/** The newest email to one address, or '' if none. */
function latestMailTo(app: TestApp, email: string): string {
  try {
    const mail = latestMail(app.outboxDir, email);
    return mail;
  } catch {
    return '';
  }
}
