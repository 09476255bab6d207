import { expect } from 'chai';
import { type Browser, demoPassword, latestMail, linkIn, startTestApp, type TestApp } from '../helpers/app.js';
import { demoIds, type DemoIds } from '../helpers/demo.js';

/**
 * AU4 and AU5 against strangers: throttling that cannot be used to lock a real user out, and
 * password resets that cannot be replayed or used to flood an inbox. Addresses come from
 * X-Forwarded-For (TRUST_PROXY=1); they are loopback addresses, and only ever a header here.
 */
const school = '127.0.0.5';
const attacker = '127.0.0.66';
const elsewhere = '127.0.0.77';

describe('Sign-in throttling and resets under attack', () => {
  let app: TestApp;
  let ids: DemoIds;
  before(async () => {
    app = await startTestApp({ TRUST_PROXY: '1' });
    ids = await demoIds(app.database.su);
  });
  after(() => app.close());

  const attempt = async (email: string, password: string, ip: string) => {
    const b = app.browser();
    const token = await b.csrf('/sign-in');
    return (await b.postRaw('/sign-in', { _csrf: token, email, password }, { 'X-Forwarded-For': ip })).status;
  };
  const forgot = async (b: Browser, email: string, ip: string) => {
    const token = await b.csrf('/forgot-password');
    const res = await b.postRaw('/forgot-password', { _csrf: token, email }, { 'X-Forwarded-For': ip });
    await new Promise((r) => setTimeout(r, 150)); // the email is sent after the response
    return res;
  };
  const resetMails = (email: string) => {
    try {
      return linkIn(latestMail(app.outboxDir, email), '/reset-password/');
    } catch {
      return null;
    }
  };

  it("AU4: a stranger's failures throttle the stranger, not the person at their usual computer", async () => {
    const head = 'head@oakfield.test';
    expect(await attempt(head, demoPassword, school)).to.equal(303);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push(await attempt(head, 'not the password at all', attacker));
    expect(statuses.slice(0, 10)).to.deep.equal(Array(10).fill(401));
    expect(statuses.slice(10)).to.deep.equal([429, 429]);
    // At school, where they signed in before: straight in.
    expect(await attempt(head, demoPassword, school)).to.equal(303);
    // At a new address while under attack: throttled, until they reset their password from there.
    expect(await attempt(head, demoPassword, elsewhere)).to.equal(429);
    const b = app.browser();
    await forgot(b, head, elsewhere);
    const link = resetMails(head);
    expect(link).to.be.a('string');
    await b.get(link!);
    const fresh = 'lantern thistle harbour quietly';
    const token = await b.csrf('/reset-password');
    expect(
      (
        await b.postRaw(
          '/reset-password',
          { _csrf: token, password: fresh, confirm: fresh },
          { 'X-Forwarded-For': elsewhere },
        )
      ).status,
    ).to.equal(303);
    expect(await attempt(head, fresh, elsewhere)).to.equal(303);
  });

  it("AU4: 100 failures behind a school's shared address do not lock out its staff who have signed in there before", async () => {
    const teacher = 'teacher@oakfield.test';
    expect(await attempt(teacher, demoPassword, '127.0.0.9')).to.equal(303);
    const spray: number[] = [];
    for (let batch = 0; batch < 100; batch += 20) {
      spray.push(
        ...(await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            attempt(`nobody-${batch + i}@spray.test`, 'guess guess guess', '127.0.0.9'),
          ),
        )),
      );
    }
    expect([...new Set(spray)]).to.deep.equal([401]);
    expect(await attempt('nobody-else@spray.test', 'guess guess guess', '127.0.0.9')).to.equal(429);
    expect(await attempt(teacher, demoPassword, '127.0.0.9'), 'known at this address').to.equal(303);
    expect(await attempt('senco@oakfield.test', demoPassword, '127.0.0.9'), 'never signed in here').to.equal(429);
  });

  it('AU4: the person at a known address still gets at most 10 guesses in 5 minutes', async () => {
    const dsl = 'dsl@oakfield.test';
    expect(await attempt(dsl, demoPassword, '127.0.0.10')).to.equal(303);
    for (let i = 0; i < 10; i++) expect(await attempt(dsl, 'wrong wrong wrong', '127.0.0.10')).to.equal(401);
    expect(await attempt(dsl, demoPassword, '127.0.0.10')).to.equal(429);
  });

  it('AU5: a newer reset link replaces an older one, and reset emails are rate-limited', async () => {
    const email = 'senco@oakfield.test';
    const b = app.browser();
    await forgot(b, email, '127.0.0.11');
    const first = resetMails(email)!;
    await forgot(b, email, '127.0.0.11');
    const second = resetMails(email)!;
    expect(second).not.to.equal(first);
    const old = app.browser();
    await old.get(first);
    expect((await old.get('/reset-password')).status, 'the older link no longer works').to.equal(410);
    const current = app.browser();
    await current.get(second);
    expect((await current.get('/reset-password')).status).to.equal(200);
    // A third is sent; a fourth within the hour gets the same page and no email.
    await forgot(b, email, '127.0.0.11');
    const third = resetMails(email)!;
    const fourth = await forgot(b, email, '127.0.0.11');
    expect(fourth.status).to.equal(200);
    expect(fourth.text).to.contain('Check your email');
    expect(resetMails(email)).to.equal(third);
  });

  it('AU5: a disabled member of staff gets the same answer for the right and a wrong password, and no reset link', async () => {
    const admin = await app.signIn('admin@oakfield.test');
    const taId = ids.user('ta@oakfield.test');
    expect((await admin.post(`/staff/${taId}/disable`, {}, { tokenFrom: `/staff/${taId}` })).status).to.equal(303);
    const answer = async (password: string) => {
      const b = app.browser();
      const token = await b.csrf('/sign-in');
      const res = await b.postRaw(
        '/sign-in',
        { _csrf: token, email: 'ta@oakfield.test', password },
        { 'X-Forwarded-For': '127.0.0.12' },
      );
      return { status: res.status, body: res.text.replace(/value="[^"]*"/g, '').replace(/Reference: [0-9a-f-]+/, '') };
    };
    const right = await answer(demoPassword);
    const wrong = await answer('not the right password at all');
    expect(right.status).to.equal(401);
    expect(right).to.deep.equal(wrong);
    await forgot(app.browser(), 'ta@oakfield.test', '127.0.0.12');
    expect(resetMails('ta@oakfield.test')).to.equal(null);
  });
});
