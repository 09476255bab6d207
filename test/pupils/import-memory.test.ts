import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { freshDatabase, type TestDatabase } from '../helpers/cluster.js';
import { hostileImportFile } from '../helpers/import-files.js';
import { type RunningServer, startServerProcess } from '../helpers/server-process.js';

/**
 * The field defect: one school's hostile MIS file exhausted the heap and took every school
 * offline. These run the server exactly as `npm start` does (compiled, with its node flags, so
 * V8's old generation really is capped at 192 MB) and check it is still there and answering.
 */

const tokenOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
const errorCount = (html: string) => Number(/<dt>Errors<\/dt><dd>(\d+)<\/dd>/.exec(html)?.[1] ?? -1);

describe('MIS import of a hostile file, in the server as npm start runs it (192 MB heap)', function () {
  this.timeout(600_000);
  let database: TestDatabase;
  let server: RunningServer;
  let origin: string;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'waypoint-import-memory-'));
  const hostile = hostileImportFile();

  before(async () => {
    database = await freshDatabase();
    await database.su('school_settings').update({ mis_import_allowed: true });
    server = await startServerProcess({
      DATABASE_URL: database.ownerUrl,
      RUNTIME_DATABASE_URL: database.runtimeUrl,
      SESSION_SECRET: 'import-memory-test-secret-0123456789abcdef',
      SEED_DEMO: 'false',
      DATA_DIR: dataDir,
      NODE_ENV: 'test',
      DB_POOL_MAX: '10',
    });
    origin = `http://127.0.0.1:${server.port}`;
  });
  after(async () => {
    await server?.stop();
    await database?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function signIn(email: string): Promise<string> {
    const page = await fetch(`${origin}/sign-in`);
    const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0]!;
    const res = await fetch(`${origin}/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: tokenOf(await page.text()), email, password: 'waypoint-demo-password' }),
    });
    expect(res.status, `sign-in as ${email}`).to.equal(303);
    return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  }

  async function upload(cookie: string, content: Buffer) {
    const form = new FormData();
    form.set('_csrf', tokenOf(await (await fetch(`${origin}/pupils/import`, { headers: { cookie } })).text()));
    form.set('mode', 'update');
    form.set('file', new Blob([content], { type: 'text/csv' }), 'hostile.csv');
    return fetch(`${origin}/pupils/import`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, origin },
      body: form,
    });
  }

  const alive = async () => {
    expect(server.child.exitCode, `the server exited:\n${server.output().slice(-2000)}`).to.equal(null);
    expect((await fetch(`${origin}/healthz`)).status).to.equal(200);
  };

  it('I4: a 10 MB file of 250,000 bad rows is previewed with bounded memory and the server stays up', async () => {
    expect(hostile.rows).to.be.greaterThan(250_000);
    const cookie = await signIn('admin@oakfield.test');
    const res = await upload(cookie, hostile.content);
    expect(res.status).to.equal(303);
    const url = res.headers.get('location')!;
    // Opened twice: it used to crash the process again each time the preview was opened.
    for (let i = 0; i < 2; i++) {
      const page = await fetch(`${origin}${url}`, { headers: { cookie } });
      const html = await page.text();
      expect(page.status).to.equal(200);
      expect(errorCount(html), 'every problem is counted').to.equal(hostile.problems);
      expect(html).to.contain(`Showing the first 1,000 of ${hostile.problems.toLocaleString('en-GB')} problems`);
      expect(html.length).to.be.below(400_000);
      await alive();
    }
    const csv = await (await fetch(`${origin}${url}/errors.csv`, { headers: { cookie } })).text();
    expect(csv.trim().split('\r\n')).to.have.length(1 + 1000 + 1);
    expect(csv).to.contain(`more problems not listed (${hostile.problems} in all)`);
    await alive();
  });

  it('I4: two schools uploading such files at once are taken one at a time; each gets an answer and the server stays up', async () => {
    const [oakfield, riverside] = await Promise.all([signIn('admin@oakfield.test'), signIn('head@riverside.test')]);
    const answers = await Promise.all([upload(oakfield, hostile.content), upload(riverside, hostile.content)]);
    for (const res of answers) {
      // The second waits its turn; if the first takes longer than the wait, it is told to try again.
      expect([303, 503]).to.include(res.status);
      if (res.status === 503) expect(await res.text()).to.contain('try again in a minute');
    }
    expect(answers.some((r) => r.status === 303)).to.equal(true);
    await alive();
  });
});
