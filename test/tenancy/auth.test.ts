import { expect } from 'chai';
import { startTestApp, type TestApp, demoPassword, latestMail, linkIn } from '../helpers/app.js';
import { passwordProblem } from '../../src/modules/tenancy/passwords.js';

/** The cost parameters of a PHC-format argon2id hash (any order). */
function argon2Params(hash: string): { m: number; t: number; p: number } {
  const m = /^\$argon2id\$v=19\$([a-z0-9=,]+)\$/.exec(hash);
  if (!m) throw new Error(`not an argon2id hash: ${hash.slice(0, 12)}`);
  const kv = Object.fromEntries(
    m[1]!
      .split(',')
      .map((p) => p.split('='))
      .map(([k, v]) => [k, Number(v)]),
  );
  return { m: kv.m, t: kv.t, p: kv.p };
}

const sessionCookie = (res: { headers: Record<string, unknown> }) =>
  ([res.headers['set-cookie']].flat().filter(Boolean) as string[]).find((c) => c.startsWith('waypoint='));

describe('Sign-in, sessions and passwords', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  it('signs the demo teacher in and shows their class', async () => {
    const b = await app.signIn('teacher@oakfield.test');
    const home = await b.get('/');
    expect(home.status).to.equal(200);
    expect(home.text).to.contain('3 Oak');
    expect(home.text).to.contain('Signed in as Tom Ellis');
  });

  it('AU5: a wrong password and an unknown email get the same answer', async () => {
    const answers = [];
    for (const email of ['teacher@oakfield.test', 'nobody-here@oakfield.test']) {
      const b = app.browser();
      const token = await b.csrf('/sign-in');
      const res = await b.postRaw('/sign-in', { _csrf: token, email, password: 'not the right password at all' });
      answers.push({
        status: res.status,
        body: res.text.replace(/value="[^"]*"/g, '').replace(/Reference: [0-9a-f-]+/, ''),
      });
    }
    expect(answers[0]!.status).to.equal(401);
    expect(answers[0]).to.deep.equal(answers[1]);
    expect(answers[0]!.body).to.contain('Enter a correct email address and password');
  });

  it('S1: sign-in issues a new session id and the anonymous one stops working', async () => {
    const b = app.browser();
    // A visitor has a stored session before signing in once something is kept for them, e.g. a link token.
    const link = await b.get(`/reset-password/${'x'.repeat(43)}`);
    const before = sessionCookie(link)!.split(';')[0]!;
    const page = await b.get('/sign-in');
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const res = await b.postRaw('/sign-in', { _csrf: token, email: 'head@oakfield.test', password: demoPassword });
    expect(res.status).to.equal(303);
    const after = sessionCookie(res)!.split(';')[0]!;
    expect(after).not.to.equal(before);
    const sid = decodeURIComponent(before.split('=')[1]!).slice(2).split('.')[0];
    const rows = await app.database.su('session').where({ sid });
    expect(rows).to.have.length(0);
    const old = await app.browser().agent.get('/').set('Cookie', before);
    expect(old.status).to.equal(303);
    expect(old.headers.location).to.match(/^\/sign-in/);
  });

  it('S2 and P17: exactly one cookie, HttpOnly, SameSite=Lax, no Max-Age (not Secure outside production)', async () => {
    const b = app.browser();
    const token = await b.csrf('/sign-in');
    const page = await b.postRaw('/sign-in', { _csrf: token, email: 'teacher@oakfield.test', password: demoPassword });
    const cookies = [page.headers['set-cookie']].flat().filter(Boolean) as string[];
    expect(cookies).to.have.length(1);
    expect(cookies[0]).to.match(/^waypoint=/);
    expect(cookies[0]).to.match(/HttpOnly/);
    expect(cookies[0]).to.match(/SameSite=Lax/);
    expect(cookies[0]).not.to.match(/Max-Age|Expires/i);
    const signedIn = await app.signIn('teacher@oakfield.test');
    for (const url of ['/', '/account', '/groups/00000000-0000-4000-8000-000000000000']) {
      const res = await signedIn.get(url);
      const set = ([res.headers['set-cookie']].flat().filter(Boolean) as string[]).map((c) => c.split('=')[0]);
      expect(
        set.every((name) => name === 'waypoint'),
        url,
      ).to.equal(true);
    }
  });

  it('S2 and P17: an anonymous visitor gets no cookie and no session row until there is something to keep', async () => {
    const count = async () => Number((await app.database.su('session').count('* as n'))[0]!.n);
    const before = await count();
    for (let i = 0; i < 20; i++) {
      const res = await app.browser().get('/sign-in');
      expect(res.status).to.equal(200);
      expect(res.headers['set-cookie'], 'no cookie for an anonymous page').to.equal(undefined);
      expect(res.text).to.match(/name="_csrf" value="[^"]+"/);
    }
    for (const page of ['/forgot-password', '/signed-out', '/pupils']) await app.browser().get(page);
    expect(await count()).to.equal(before);
  });

  it("B1: the anonymous form token is signed: a forged or altered one is refused, and it never stands in for a signed-in session's token", async () => {
    const b = app.browser();
    const token = await b.csrf('/sign-in');
    const [expiry, nonce, mac] = token.split('.');
    for (const forged of [
      `${expiry}.${nonce}.${'A'.repeat(mac!.length)}`,
      `${(parseInt(expiry!, 36) + 1e9).toString(36)}.${nonce}.${mac}`,
      'x',
      '',
    ]) {
      const res = await b.postRaw('/sign-in', {
        _csrf: forged,
        email: 'teacher@oakfield.test',
        password: demoPassword,
      });
      expect(res.status, forged).to.equal(403);
    }
    const signedIn = await app.signIn('teacher@oakfield.test');
    const res = await signedIn.postRaw('/account/sign-out-everywhere', { _csrf: token });
    expect(res.status).to.equal(403);
  });

  it('S2: in production the cookie is __Host- prefixed and Secure', async () => {
    const prod = await startTestApp(
      {
        NODE_ENV: 'production',
        SESSION_SECRET: 'x'.repeat(40),
        DATABASE_URL: 'postgres://unused/unused',
        PUBLIC_ORIGIN: 'https://waypoint.example',
        TRUST_PROXY: '1',
      },
      app.database,
    );
    try {
      const res = await prod
        .browser()
        .agent.get(`/reset-password/${'x'.repeat(43)}`)
        .set('X-Forwarded-Proto', 'https');
      const cookie = [res.headers['set-cookie']].flat()[0] as string;
      expect(cookie).to.match(/^__Host-waypoint=/);
      expect(cookie).to.match(/; Secure/);
      expect(cookie).to.match(/Path=\//);
      expect(res.headers['strict-transport-security']).to.match(/max-age=\d+/);
    } finally {
      prod.waypoint.close();
    }
  });

  it('S3: a session idle for over 30 minutes, or older than 12 hours, is ended by the server', async () => {
    for (const [field, ago] of [
      ['lastSeenAt', 31 * 60 * 1000],
      ['signedInAt', 12 * 60 * 60 * 1000 + 1000],
    ] as const) {
      const b = await app.signIn('teacher@oakfield.test');
      expect((await b.get('/')).status).to.equal(200);
      const uid = (await app.database.su('users').where({ email: 'teacher@oakfield.test' }).first('id')).id;
      const rows = await app.database.su('session').whereRaw(`sess #>> '{auth,userId}' = ?`, [uid]);
      for (const row of rows) {
        const sess = typeof row.sess === 'string' ? JSON.parse(row.sess) : row.sess;
        sess.auth[field] = Date.now() - ago;
        if (field === 'signedInAt') sess.auth.lastSeenAt = Date.now();
        await app.database
          .su('session')
          .where({ sid: row.sid })
          .update({ sess: JSON.stringify(sess) });
      }
      const res = await b.get('/');
      expect(res.status, field).to.equal(303);
      expect(res.headers.location).to.contain('expired=1');
      const audit = await app.database.su('audit_events').where({ action: 'auth.session_expired', actor_user_id: uid });
      expect(audit.length).to.be.greaterThan(0);
    }
  });

  it('S4 and B3: sign-out destroys the server session and sends Clear-Site-Data', async () => {
    const b = await app.signIn('teacher@oakfield.test');
    const cookie = (await b.get('/account')).request.cookies;
    const res = await b.post('/sign-out', {});
    expect(res.status).to.equal(303);
    expect(res.headers['clear-site-data']).to.contain('"cookies"');
    const replay = await app.browser().agent.get('/').set('Cookie', cookie);
    expect(replay.status).to.equal(303);
    expect(replay.headers.location).to.match(/^\/sign-in/);
  });

  it('S4: "sign out of all other devices" ends every other session of that user', async () => {
    const laptop = await app.signIn('senco@oakfield.test');
    const phone = await app.signIn('senco@oakfield.test');
    expect((await phone.get('/')).status).to.equal(200);
    const res = await laptop.post('/account/sign-out-everywhere');
    expect(res.status).to.equal(303);
    expect((await phone.get('/')).status).to.equal(303);
    expect((await laptop.get('/')).status).to.equal(200);
  });

  it('B3: signed-in pages are Cache-Control: no-store', async () => {
    const b = await app.signIn('teacher@oakfield.test');
    for (const url of ['/', '/account']) {
      const res = await b.get(url);
      expect(res.headers['cache-control'], url).to.equal('no-store');
    }
  });

  it('AU3 and P12: passwords are stored as argon2id with m>=19456, t>=2, p=1, never in plain text', async () => {
    const rows: { password_hash: string }[] = await app.database
      .su('users')
      .whereNotNull('password_hash')
      .select('password_hash');
    expect(rows.length).to.be.greaterThan(10);
    for (const { password_hash } of rows) {
      const params = argon2Params(password_hash);
      expect(params.m).to.be.at.least(19456);
      expect(params.t).to.be.at.least(2);
      expect(params.p).to.equal(1);
      expect(password_hash).not.to.contain(demoPassword);
    }
  });

  it('AU3: a stored hash is upgraded at sign-in when the parameters rise', async () => {
    const stronger = await startTestApp({ ARGON2_MEMORY_KIB: '24576', ARGON2_TIME_COST: '3' }, app.database);
    try {
      await stronger.signIn('dsl@oakfield.test');
      const { password_hash } = await app.database
        .su('users')
        .where({ email: 'dsl@oakfield.test' })
        .first('password_hash');
      expect(argon2Params(password_hash)).to.deep.equal({ m: 24576, t: 3, p: 1 });
      await stronger.signIn('dsl@oakfield.test');
    } finally {
      stronger.waypoint.close();
    }
  });

  it('AU4: after 10 failures in 5 minutes the account is throttled, before any hashing, with a clear message', async () => {
    const email = 'ta@oakfield.test';
    const b = app.browser();
    for (let i = 0; i < 10; i++) {
      const token = await b.csrf('/sign-in');
      expect((await b.postRaw('/sign-in', { _csrf: token, email, password: `wrong-${i}` })).status).to.equal(401);
    }
    const token = await b.csrf('/sign-in');
    const hashed = countHashing(app);
    const blocked = await b.postRaw('/sign-in', { _csrf: token, email, password: demoPassword });
    hashed.stop();
    expect(blocked.status).to.equal(429);
    expect(blocked.text).to.contain('too many failed attempts');
    expect(hashed.calls, 'argon2 was not run for the throttled attempt').to.equal(0);
    const events = await app.database.su('audit_events').where({ action: 'auth.sign_in_throttled' });
    expect(events.length).to.be.greaterThan(0);
    // A sliding window, not a permanent lock-out: once the failures are over 5 minutes old, sign-in works.
    await app.database.su('auth_failures').update({ occurred_at: app.database.su.raw(`now() - interval '6 minutes'`) });
    const later = await app.signIn(email);
    expect((await later.get('/')).status).to.equal(200);
  });

  it('AU4: twenty wrong passwords sent at once still get at most ten tries at the password', async () => {
    const email = 'teacher@oakfield.test';
    const b = app.browser();
    const token = await b.csrf('/sign-in');
    const hashed = countHashing(app);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        b.postRaw('/sign-in', { _csrf: token, email, password: `wrong-at-once-${i}` }),
      ),
    );
    hashed.stop();
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).to.equal(10);
    expect(statuses.filter((s) => s === 429).length).to.equal(10);
    expect(hashed.calls).to.equal(10);
    await app.database.su('auth_failures').del();
  });

  it('AU4: the per-IP limit stops spraying across many accounts', async () => {
    const ip = '203.0.113.9';
    const key = Buffer.alloc(32, 1);
    await app.database.su('auth_failures').insert(Array.from({ length: 100 }, () => ({ account_key: key, ip })));
    const throttled = await startTestApp({ TRUST_PROXY: '1' }, app.database);
    try {
      const b = throttled.browser();
      const token = await b.csrf('/sign-in');
      const res = await b.postRaw(
        '/sign-in',
        { _csrf: token, email: 'head@oakfield.test', password: demoPassword },
        { 'X-Forwarded-For': ip },
      );
      expect(res.status).to.equal(429);
      const fromElsewhere = await b.postRaw(
        '/sign-in',
        { _csrf: token, email: 'head@oakfield.test', password: demoPassword },
        { 'X-Forwarded-For': '198.51.100.7' },
      );
      expect(fromElsewhere.status).to.equal(303);
    } finally {
      throttled.waypoint.close();
      await app.database.su('auth_failures').where({ ip }).del();
    }
  });

  it('AU2: passwords need 15+ characters, allow 64+, and common or self-describing ones are refused', () => {
    expect(passwordProblem('short password')).to.match(/at least 15/);
    expect(passwordProblem('1qaz2wsx3edc4rfv')).to.match(/easy to guess/);
    expect(passwordProblem('aaaaaaaaaaaaaaaaaaaa')).to.match(/easy to guess/);
    expect(passwordProblem('passwordpassword')).to.match(/easy to guess/);
    expect(passwordProblem('tom.ellis.tom.ellis!', ['tom.ellis', 'Tom', 'Ellis'])).to.match(/mostly your name/);
    expect(passwordProblem('correct horse battery staple')).to.equal(null);
    expect(passwordProblem('x'.repeat(10) + 'kj3#lmq 9!vz'.repeat(6))).to.equal(null);
    expect(passwordProblem('ünïcödé wörds ärë fïnë tôô')).to.equal(null);
  });

  it('AU5: password reset gives the same page for unknown emails, and a single-use, hashed, expiring link', async () => {
    const b = app.browser();
    const unknown = await b.post(
      '/forgot-password',
      { email: 'nobody@oakfield.test' },
      { tokenFrom: '/forgot-password' },
    );
    const known = await b.post('/forgot-password', { email: 'head@oakfield.test' }, { tokenFrom: '/forgot-password' });
    const strip = (s: string) =>
      s
        .replace(/value="[^"]*"/g, '')
        .replace(/Reference: [0-9a-f-]+/, '')
        .replace(/<strong>[^<]*<\/strong>/, '');
    expect(unknown.status).to.equal(known.status);
    expect(strip(unknown.text)).to.equal(strip(known.text));
    await new Promise((r) => setTimeout(r, 100));
    const link = linkIn(latestMail(app.outboxDir), '/reset-password/');
    const token = link.split('/').at(-1)!;
    const hashes: { token_hash: Buffer }[] = await app.database.su('auth_tokens').select('token_hash');
    expect(hashes.some((h) => h.token_hash.toString('hex').includes(Buffer.from(token).toString('hex')))).to.equal(
      false,
    );
    const dump = JSON.stringify(await app.database.su('auth_tokens'));
    expect(dump).not.to.contain(token);

    const follow = await b.get(link);
    expect(follow.status).to.equal(303);
    expect(follow.headers.location).to.equal('/reset-password');
    const form = await b.get('/reset-password');
    expect(form.text).to.contain('head@oakfield.test');
    const weak = await b.post(
      '/reset-password',
      { password: 'short', confirm: 'short' },
      { tokenFrom: '/reset-password' },
    );
    expect(weak.status).to.equal(422);
    expect(weak.text).to.contain('at least 15 characters');
    const newPassword = 'violet harbour lantern seventeen';
    const done = await b.post(
      '/reset-password',
      { password: newPassword, confirm: newPassword },
      { tokenFrom: '/reset-password' },
    );
    expect(done.status).to.equal(303);
    await app.signIn('head@oakfield.test', newPassword);
    // Single use: the same link no longer works.
    const again = app.browser();
    await again.get(link);
    const expired = await again.get('/reset-password');
    expect(expired.status).to.equal(410);
    // Expiring: a fresh link past its expiry does not work either.
    await b.post('/forgot-password', { email: 'head@oakfield.test' }, { tokenFrom: '/forgot-password' });
    await new Promise((r) => setTimeout(r, 100));
    const second = linkIn(latestMail(app.outboxDir), '/reset-password/');
    await app.database
      .su('auth_tokens')
      .whereNull('used_at')
      .update({ expires_at: app.database.su.raw(`now() - interval '1 second'`) });
    const late = app.browser();
    await late.get(second);
    expect((await late.get('/reset-password')).status).to.equal(410);
  });

  it('changing your password checks the current one and signs out other devices', async () => {
    const email = 'senco@oakfield.test';
    const other = await app.signIn(email);
    const b = await app.signIn(email);
    const wrong = await b.post('/account/password', {
      currentPassword: 'nope',
      newPassword: 'a b c d e f g h i j k',
      confirm: 'a b c d e f g h i j k',
    });
    expect(wrong.status).to.equal(422);
    expect(wrong.text).to.contain('current password is not right');
    const next = 'maple window otter quietly';
    const ok = await b.post('/account/password', { currentPassword: demoPassword, newPassword: next, confirm: next });
    expect(ok.status).to.equal(303);
    expect((await other.get('/')).status).to.equal(303);
    expect((await b.get('/')).status).to.equal(200);
    await app.signIn(email, next);
  });

  it('a user with roles in several places chooses where to work, and can switch', async () => {
    const riversideId = (await app.database.su('organisations').where({ name: 'Riverside Primary School' }).first('id'))
      .id;
    const userId = (await app.database.su('users').where({ email: 'dsl@oakfield.test' }).first('id')).id;
    await app.database.su('memberships').insert({ user_id: userId, org_id: riversideId, role: 'dsl' });
    try {
      const b = await app.signIn('dsl@oakfield.test');
      const home = await b.get('/');
      expect(home.status).to.equal(303);
      expect(home.headers.location).to.equal('/choose');
      const choose = await b.get('/choose');
      expect(choose.text).to.contain('Riverside Primary School');
      expect(choose.text).to.contain('Oakfield Primary School');
      expect((await b.post('/choose', { context: riversideId }, { tokenFrom: '/choose' })).status).to.equal(303);
      const page = await b.get('/');
      expect(page.text).to.contain('Riverside Primary School');
      const bogus = await b.post(
        '/choose',
        { context: '00000000-0000-4000-8000-000000000000' },
        { tokenFrom: '/choose' },
      );
      expect(bogus.status).to.equal(422);
    } finally {
      await app.database.su('memberships').where({ user_id: userId, org_id: riversideId }).del();
    }
  });

  it('L2 and P12: no password, token or cookie ever reaches the logs', async () => {
    const secretPassword = 'lighthouse marmalade quantum seventy';
    const b = app.browser();
    const token = await b.csrf('/sign-in');
    await b.postRaw('/sign-in', { _csrf: token, email: 'head@oakfield.test', password: secretPassword });
    await b.post('/forgot-password', { email: 'teacher@oakfield.test' }, { tokenFrom: '/forgot-password' });
    await new Promise((r) => setTimeout(r, 100));
    const link = linkIn(latestMail(app.outboxDir), '/reset-password/');
    await b.get(link);
    const signedIn = await app.signIn('teacher@oakfield.test');
    const cookie = (await signedIn.get('/account')).request.cookies;
    const logs = app.logs.join('');
    expect(logs.length).to.be.greaterThan(1000);
    for (const secret of [
      secretPassword,
      demoPassword,
      token,
      link.split('/').at(-1)!,
      cookie.split('=')[1]!.split(';')[0]!,
    ]) {
      expect(logs, 'a secret in the logs').not.to.contain(secret);
    }
    expect(logs).to.contain('/reset-password/[redacted]');
  });
});

/** Counts password verifications on an app's hasher until stopped. */
function countHashing(target: TestApp): { calls: number; stop(): void } {
  const hasher = target.waypoint.hasher;
  const original = { verify: hasher.verify, verifyAgainstNothing: hasher.verifyAgainstNothing };
  const counter = {
    calls: 0,
    stop() {
      hasher.verify = original.verify;
      hasher.verifyAgainstNothing = original.verifyAgainstNothing;
    },
  };
  hasher.verify = async (...args: Parameters<typeof original.verify>) => {
    counter.calls++;
    return original.verify.apply(hasher, args);
  };
  hasher.verifyAgainstNothing = async (...args: Parameters<typeof original.verifyAgainstNothing>) => {
    counter.calls++;
    return original.verifyAgainstNothing.apply(hasher, args);
  };
  return counter;
}
