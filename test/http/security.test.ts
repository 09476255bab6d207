import { expect } from 'chai';
import { startTestApp, type TestApp } from '../helpers/app.js';
import http from 'node:http';
import net from 'node:net';
import knexFactory from 'knex';
import { answerClientErrors } from '../../src/http/client-errors.js';
import { testCluster } from '../helpers/cluster.js';
import { connectDatabase } from '../../src/db/index.js';
import { createLogger } from '../../src/logger.js';
import { systemActor } from '../../src/policy/index.js';

const cspExpected = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
];

function expectSecurityHeaders(res: { headers: Record<string, string> }, label: string) {
  const csp = res.headers['content-security-policy'] ?? '';
  for (const d of cspExpected) expect(csp, `${label}: ${d}`).to.contain(d);
  expect(csp, label).not.to.match(/unsafe-inline|unsafe-eval|https?:/);
  expect(res.headers['x-content-type-options'], label).to.equal('nosniff');
  expect(res.headers['x-frame-options'], label).to.equal('DENY');
  expect(res.headers['referrer-policy'], label).to.equal('same-origin');
}

/** Sends raw bytes to a server and returns the whole raw response. */
function rawRequest(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(bytes));
    let out = '';
    socket.on('data', (d) => (out += d));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
  });
}

function headersOf(raw: string): Record<string, string> {
  const lines = raw.split('\r\n\r\n')[0]!.split('\r\n').slice(1);
  return Object.fromEntries(
    lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
}

describe('Browser security and error handling', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  it('B2: requests that Node itself rejects (a malformed request, headers too large) are answered with the security headers too', async () => {
    // The server is wired exactly as src/server.ts wires it.
    const server = http.createServer({ requestTimeout: 60_000, headersTimeout: 20_000 }, app.waypoint.app);
    answerClientErrors(server, false);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      for (const [label, bytes, status] of [
        ['malformed request line', 'GARBAGE\r\n\r\n', 400],
        ['bad header', 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n', 400],
        ['headers over the limit', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
      ] as const) {
        const raw = await rawRequest(port, bytes);
        expect(raw, label).to.match(new RegExp(`^HTTP/1.1 ${status} `));
        expectSecurityHeaders({ headers: headersOf(raw) }, label);
      }
      // The server still answers normally afterwards.
      expect(await rawRequest(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).to.match(
        /^HTTP\/1.1 200/,
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('B2 and P10: strict CSP and security headers on pages, errors, assets and health checks', async () => {
    const b = await app.signIn('teacher@oakfield.test');
    const home = await b.get('/');
    const css = /href="(\/assets\/[^"]+\.css)"/.exec(home.text)![1]!;
    const js = /src="(\/assets\/[^"]+htmx\.min\.js)"/.exec(home.text)![1]!;
    for (const [label, res] of [
      ['page', home],
      ['404', await b.get('/no-such-page')],
      ['anonymous 404', await app.browser().get('/nothing-here')],
      ['403', await b.get('/audit')],
      ['css', await b.get(css)],
      ['htmx', await b.get(js)],
      ['healthz', await b.get('/healthz')],
    ] as const) {
      expectSecurityHeaders(res as never, label);
    }
  });

  it('P10: pages reference nothing from another origin, and htmx is served by us', async () => {
    const b = await app.signIn('teacher@oakfield.test');
    const html = (await b.get('/')).text;
    expect(html).not.to.match(/(src|href)="(https?:)?\/\//);
    expect(html).to.match(/<script src="\/assets\/[0-9a-f]{12}\/vendor\/htmx\.min\.js" defer><\/script>/);
    expect(html).not.to.match(/<script>(?!<\/script>)|<style|style="/);
    expect(html).to.contain('"allowEval":false');
    expect(html).to.contain('"selfRequestsOnly":true');
    const asset = await b.get(/src="(\/assets\/[^"]+htmx\.min\.js)"/.exec(html)![1]!);
    expect(asset.status).to.equal(200);
    expect(asset.headers['cache-control']).to.contain('immutable');
    expect(asset.text).to.contain('htmx');
  });

  it('B1: a state-changing request without the CSRF token is refused, and so is a cross-site one with it', async () => {
    const b = await app.signIn('admin@oakfield.test');
    const noToken = await b.postRaw('/account/sign-out-everywhere', {});
    expect(noToken.status).to.equal(403);
    const wrongToken = await b.postRaw('/account/sign-out-everywhere', { _csrf: 'f'.repeat(64) });
    expect(wrongToken.status).to.equal(403);
    const token = await b.csrf();
    const crossSite = await b.postRaw(
      '/account/sign-out-everywhere',
      { _csrf: token },
      { 'Sec-Fetch-Site': 'cross-site' },
    );
    expect(crossSite.status).to.equal(403);
    const otherOrigin = await b.agent
      .post('/account/sign-out-everywhere')
      .set('Origin', 'https://evil.example')
      .type('form')
      .send({ _csrf: token });
    expect(otherOrigin.status).to.equal(403);
    const viaHeader = await b.agent
      .post('/account/sign-out-everywhere')
      .set('Origin', 'http://127.0.0.1')
      .set('x-csrf-token', token)
      .set('HX-Request', 'true')
      .type('form')
      .send({});
    expect(viaHeader.status).to.equal(303);
    const ok = await b.postRaw('/account/sign-out-everywhere', { _csrf: token }, { 'Sec-Fetch-Site': 'same-origin' });
    expect(ok.status).to.equal(303);
    expect(ok.headers.location).to.equal('/account');
  });

  it('B3: every page keeps htmx history off (hx-history="false") unless its router says it shows no pupil data', async () => {
    const teacher = await app.signIn('teacher@oakfield.test');
    const admin = await app.signIn('admin@oakfield.test');
    const off = /<body[^>]*hx-history="false"/;
    for (const path of ['/', '/pupils', '/interventions']) {
      const page = await teacher.get(path);
      expect(page.status, path).to.equal(200);
      expect(page.text, path).to.match(off);
    }
    for (const [who, path] of [
      [teacher, '/account'],
      [admin, '/staff'],
      [admin, '/settings'],
      [admin, '/frameworks'],
    ] as const) {
      const page = await who.get(path);
      expect(page.status, path).to.equal(200);
      expect(page.text, path).not.to.match(off);
    }
    // The opt-out is the page's own: a pupil page after a tenancy router still has history off.
    const list = await admin.get('/pupils');
    expect(list.text).to.match(off);
  });

  it('B1: GET never changes state (sign-out and settings need POST)', async () => {
    const b = await app.signIn('admin@oakfield.test');
    expect((await b.get('/sign-out')).status).to.equal(404);
    expect((await b.get('/')).status).to.equal(200);
  });

  it('I5: error pages show a request id and no stack trace; the process survives', async () => {
    const b = await app.signIn('teacher@oakfield.test');
    const res = await b.get('/groups/00000000-0000-4000-8000-000000000000');
    expect(res.status).to.equal(404);
    expect(res.text).to.match(/Reference: <strong class="request-id">[0-9a-f-]{36}<\/strong>/);
    const forbidden = await b.get('/audit');
    expect(forbidden.status).to.equal(403);
    expect(forbidden.text).to.match(/Reference: <strong class="request-id">[0-9a-f-]{36}<\/strong>/);
    const notAnId = await b.get('/groups/not-an-id');
    expect(notAnId.status).to.equal(404);
    expect(notAnId.text).not.to.match(/at .*\.ts:\d+|node_modules|Error:/);
    expect((await b.get('/')).status).to.equal(200);
  });

  it('the request reference shows only on error pages, not in every page footer', async () => {
    const b = await app.signIn('teacher@oakfield.test');
    const home = await b.get('/');
    expect(home.status).to.equal(200);
    expect(home.text).not.to.contain('Reference:');
    const missing = await b.get('/groups/00000000-0000-4000-8000-000000000000');
    expect(missing.text.match(/Reference:/g)).to.have.length(1);
  });

  it('I5: an unexpected error is logged with the request id and shown as a plain 500 page', async () => {
    const b = await app.signIn('teacher@oakfield.test');
    await app.database.su.raw('alter table groups rename to groups_moved');
    try {
      const res = await b.get('/');
      expect(res.status).to.equal(500);
      const reference = /class="request-id">([0-9a-f-]{36})</.exec(res.text)![1]!;
      expect(res.text).not.to.match(/groups_moved|relation|stack|\.ts:/);
      expect(app.logs.some((l) => l.includes(reference) && l.includes('request failed'))).to.equal(true);
      expectSecurityHeaders(res as never, '500');
    } finally {
      await app.database.su.raw('alter table groups_moved rename to groups');
    }
    expect((await b.get('/')).status).to.equal(200);
  });

  it('I5: a request that cannot be understood gets a plain 400 page with its reference', async () => {
    const b = await app.signIn('teacher@oakfield.test');
    const group = (await app.database.su('groups').where({ name: '3 Oak' }).first()).id;
    const res = await b.post(
      `/groups/${group}/grid`,
      { assessed_on: '01/10/2026' },
      { tokenFrom: `/groups/${group}/grid` },
    );
    expect(res.status).to.equal(400);
    expect(res.text).to.contain('The form is out of date');
    expect(res.text).to.match(/class="request-id">[0-9a-f-]{36}</);
    expectSecurityHeaders(res as never, '400');
  });

  it('R6: when every database connection stays busy, a request gets a 503 "Waypoint is busy" with Retry-After, not a 500', async () => {
    // A pool of one connection, held by a transaction that does not end until the request has its answer.
    const db = connectDatabase({ runtimeUrl: app.database.runtimeUrl, poolMax: 1, logger: createLogger('silent') });
    const tiny = await startTestApp({}, { ...app.database, db });
    let release = () => {};
    let held: Promise<void> | undefined;
    try {
      const b = await tiny.signIn('teacher@oakfield.test');
      const holding = new Promise<void>((started) => {
        held = db.withActor(systemActor('test', {}), async () => {
          started();
          await new Promise<void>((resolve) => (release = resolve));
        });
      });
      await holding;
      const res = await b.get('/');
      expect(res.status).to.equal(503);
      expect(res.headers['retry-after']).to.match(/^\d+$/);
      expect(res.text).to.contain('Waypoint is busy');
      expect(res.text).to.contain('try again in a moment');
      expect(res.text).to.match(/class="request-id">[0-9a-f-]{36}</);
      expectSecurityHeaders(res as never, '503');
      expect(
        tiny.logs.some((l) => l.includes('request failed')),
        'overload is not logged as a failure',
      ).to.equal(false);
      release();
      await held;
      expect((await b.get('/')).status, 'served again once a connection is free').to.equal(200);
    } finally {
      release();
      await held;
      tiny.waypoint.close();
      await db.close();
    }
  });

  it('I4: an oversized body gets a readable 413 page', async () => {
    const b = await app.signIn('admin@oakfield.test');
    const token = await b.csrf();
    const res = await b.postRaw('/settings', { _csrf: token, dsl_name: 'x'.repeat(200_000) });
    expect(res.status).to.equal(413);
    expect(res.text).to.contain('larger than Waypoint accepts');
    expect(res.headers['content-type']).to.match(/text\/html/);
    expect(res.text, 'I5').to.match(/class="request-id">[0-9a-f-]{36}</);
    expectSecurityHeaders(res as never, '413');
  });

  it('R6: /readyz is 503 while the database does not answer, and /healthz stays 200', async () => {
    const lonely = await startTestApp();
    try {
      expect((await lonely.browser().get('/readyz')).status).to.equal(200);
      const admin = knexFactory({ client: 'pg', connection: testCluster().superuserUrl(), pool: { min: 0, max: 1 } });
      await admin.raw(`drop database ${lonely.database.name} with (force)`);
      await admin.destroy();
      const ready = await lonely.browser().get('/readyz');
      expect(ready.status).to.equal(503);
      expect(ready.text).to.equal('not ready');
      expect((await lonely.browser().get('/healthz')).status).to.equal(200);
    } finally {
      await lonely.close();
    }
  });

  it('R6: /healthz and /readyz answer with their status alone', async () => {
    const b = app.browser();
    const health = await b.get('/healthz');
    expect(health.status).to.equal(200);
    expect(health.text).to.equal('ok');
    expect(health.headers['set-cookie']).to.equal(undefined);
    const ready = await b.get('/readyz');
    expect(ready.status).to.equal(200);
    expect(ready.text).to.equal('ready');
    app.waypoint.beginShutdown();
    const draining = await b.get('/readyz');
    expect(draining.status).to.equal(503);
    expect(draining.text).to.equal('not ready');
  });
});
