import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import knexFactory from 'knex';
import { loadConfig, ConfigError } from '../src/config.js';
import { freePort, testCluster } from './helpers/cluster.js';
import { projectRoot } from '../src/paths.js';
import { type RunningServer, startServerProcess } from './helpers/server-process.js';

type Running = RunningServer;
const startServer = (env: Record<string, string>) => startServerProcess(env);
const stop = (r: Running) => r.stop();

async function runToExit(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string; stderr: string }> {
  let output = '';
  let stderr = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => {
    output += d;
    stderr += d;
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, output, stderr };
}

/** A start-up failure: one line on stderr, nothing like a stack trace anywhere. */
function expectOneLine(run: { code: number | null; output: string; stderr: string }, fix: RegExp, code = 1) {
  expect(run.code, run.output).to.equal(code);
  expect(run.stderr.trimEnd().split('\n'), run.stderr).to.have.length(1);
  expect(run.stderr)
    .to.match(/^Waypoint could not start: /)
    .and.to.match(fix);
  expect(run.output, 'no stack trace').not.to.match(/\n\s+at |Error: |node:internal/);
}

/** Holds a port on 127.0.0.1 as another program would. */
async function occupy(port: number): Promise<net.Server> {
  const busy = net.createServer();
  await new Promise<void>((resolve) => busy.listen(port, '127.0.0.1', resolve));
  return busy;
}

const get = (port: number, p: string) => fetch(`http://127.0.0.1:${port}${p}`, { redirect: 'manual' });

describe('Start-up, configuration and graceful stop', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'waypoint-start-'));
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('config: a bad or missing value stops start-up with a message naming the variable', () => {
    expect(() => loadConfig({ PORT: 'abc' })).to.throw(ConfigError, /PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).to.throw(ConfigError, /DATABASE_URL/);
    expect(() => loadConfig({ NODE_ENV: 'production' })).to.throw(ConfigError, /SESSION_SECRET[\s\S]*DATABASE_URL/);
    expect(() =>
      loadConfig({ NODE_ENV: 'production', SESSION_SECRET: 'short', DATABASE_URL: 'postgres://a/b' }),
    ).to.throw(ConfigError, /SESSION_SECRET: must be at least 32/);
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        SESSION_SECRET: 'x'.repeat(32),
        DATABASE_URL: 'postgres://a/b',
        SEED_DEMO: 'true',
      }),
    ).to.throw(ConfigError, /SEED_DEMO/);
    const prod = loadConfig({ NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(32), DATABASE_URL: 'postgres://a/b' });
    expect(prod.seedDemo).to.equal(false);
    expect(loadConfig({ PORT: '4000' }).PORT).to.equal(4000);
    expect(Object.isFrozen(prod)).to.equal(true);
  });

  it('config: the server refuses to start in production without SESSION_SECRET and DATABASE_URL, naming both', async () => {
    const { code, output } = await runToExit({ NODE_ENV: 'production' });
    expect(code).to.equal(78);
    expect(output).to.contain('SESSION_SECRET: is required when NODE_ENV=production');
    expect(output).to.contain('DATABASE_URL: is required when NODE_ENV=production');
    const bad = await runToExit({ PORT: 'eighty' });
    expect(bad.code).to.equal(78);
    expect(bad.output).to.match(/PORT: /);
  });

  it('I5: a start-up failure (PORT or EMBEDDED_PG_PORT in use, DATABASE_URL refused, bad configuration) prints one line naming the fix, no stack trace, and exits non-zero', async function () {
    this.timeout(180_000);
    const port = await freePort();
    const busy = await occupy(port);
    try {
      const web = await runToExit({
        PORT: String(port),
        DATA_DIR: tempDir(),
        EMBEDDED_PG_PORT: String(await freePort()),
      });
      expectOneLine(web, new RegExp(`Port ${port} on 127.0.0.1 is in use .*set PORT to a free port`));
      expect(web.output, 'found before any database work').to.equal(web.stderr);

      const dataDir = tempDir();
      const pg = await runToExit({ PORT: String(await freePort()), DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(port) });
      expectOneLine(pg, /set EMBEDDED_PG_PORT to a free port/);
      expect(fs.existsSync(path.join(dataDir, 'pg', 'postmaster.pid')), 'no PostgreSQL left behind').to.equal(false);
    } finally {
      await new Promise((r) => busy.close(r));
    }

    const refused = await runToExit({
      PORT: String(await freePort()),
      DATA_DIR: tempDir(),
      DATABASE_URL: `postgres://someone:not-logged@127.0.0.1:${await freePort()}/waypoint`,
    });
    expectOneLine(
      refused,
      /Cannot connect to the PostgreSQL in DATABASE_URL \(127\.0\.0\.1:\d+\): connection refused\. Start that PostgreSQL, or correct DATABASE_URL/,
    );
    expect(refused.output, 'the password is never printed').not.to.contain('not-logged');

    const config = await runToExit({ NODE_ENV: 'production' });
    expectOneLine(config, /SESSION_SECRET: is required when NODE_ENV=production; DATABASE_URL: is required/, 78);
  });

  it('R3 and R6: the embedded start serves, seeds the demo once, and on SIGTERM drains, stops Postgres and exits 0', async function () {
    this.timeout(120_000);
    const dataDir = tempDir();
    const pgPort = await freePort();
    const env = { DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort) };
    const first = await startServer(env);
    expect(first.output()).to.contain('demo data seeded');
    expect(first.output()).to.contain('teacher@oakfield.test');
    expect(first.output()).to.contain('waypoint-demo-password');
    expect((await get(first.port, '/healthz')).status).to.equal(200);
    expect((await get(first.port, '/readyz')).status).to.equal(200);
    expect((await get(first.port, '/sign-in')).status).to.equal(200);

    // An in-flight request: headers half sent when SIGTERM arrives, finished afterwards.
    const socket = net.connect(first.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    let reply = '';
    socket.on('data', (d) => (reply += d));
    first.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    socket.write('\r\n');
    const code = await first.exited;
    expect(code).to.equal(0);
    expect(reply).to.match(/^HTTP\/1.1 200/);
    expect(first.output()).to.contain('stopped cleanly');
    expect(fs.existsSync(path.join(dataDir, 'pg', 'postmaster.pid')), 'Postgres stopped').to.equal(false);

    // Kept between runs: the second start finds its data and does not seed again.
    const second = await startServer(env);
    expect(second.output()).not.to.contain('demo data seeded');
    expect(second.output()).not.to.contain('initialising embedded PostgreSQL');
    expect((await get(second.port, '/readyz')).status).to.equal(200);
    const started = /"ms":(\d+),"msg":"Waypoint is ready"/.exec(second.output())![1];
    console.log(`      (restart with an initialised data folder: ready ${started} ms after start-up began)`);
    expect(await stop(second)).to.equal(0);
  });

  it('DATABASE_URL: with an owner that may create roles, start-up creates the runtime role itself', async function () {
    this.timeout(120_000);
    const tc = testCluster();
    const su = knexFactory({ client: 'pg', connection: tc.superuserUrl(), pool: { min: 0, max: 1 } });
    try {
      await su.raw(`create role ext_owner login createrole password 'ext-owner-password'`);
      await su.raw('create database ext_a owner ext_owner');
      const url = new URL(tc.superuserUrl('ext_a'));
      url.username = 'ext_owner';
      url.password = 'ext-owner-password';
      const server = await startServer({
        DATABASE_URL: url.toString(),
        DATA_DIR: tempDir(),
        SESSION_SECRET: 'e'.repeat(40),
      });
      expect((await get(server.port, '/readyz')).status).to.equal(200);
      const role = (await su.raw(`select rolname, rolsuper, rolbypassrls from pg_roles where rolname = 'ext_a_app'`))
        .rows[0];
      expect(role).to.deep.equal({ rolname: 'ext_a_app', rolsuper: false, rolbypassrls: false });
      const sessions = (
        await su.raw(
          `select count(*)::int as n from pg_stat_activity where datname = 'ext_a' and usename = 'ext_a_app'`,
        )
      ).rows[0].n;
      expect(sessions, 'requests are served by the runtime role').to.be.greaterThan(0);
      expect(await stop(server)).to.equal(0);
    } finally {
      await su.raw('drop database if exists ext_a with (force)');
      await su.raw('drop owned by ext_a_app').catch(() => undefined);
      await su.raw('drop role if exists ext_a_app');
      await su.raw('drop role if exists ext_owner');
      await su.destroy();
    }
  });

  it('DATABASE_URL: an owner that cannot create roles needs RUNTIME_DATABASE_URL, and works with it; production never seeds', async function () {
    this.timeout(120_000);
    const tc = testCluster();
    const su = knexFactory({ client: 'pg', connection: tc.superuserUrl(), pool: { min: 0, max: 1 } });
    const as = (user: string, password: string) => {
      const u = new URL(tc.superuserUrl('ext_b'));
      u.username = user;
      u.password = password;
      return u.toString();
    };
    try {
      await su.raw(`create role ext_plain_owner login password 'owner-pass'`);
      await su.raw(`create role ext_plain_app login password 'app-pass'`);
      await su.raw('create database ext_b owner ext_plain_owner');
      const refused = await runToExit({
        DATABASE_URL: as('ext_plain_owner', 'owner-pass'),
        DATA_DIR: tempDir(),
        SESSION_SECRET: 'f'.repeat(40),
      });
      expect(refused.code).to.equal(1);
      expect(refused.output).to.contain('RUNTIME_DATABASE_URL must be set');

      const ownerAsRuntime = await runToExit({
        DATABASE_URL: as('ext_plain_owner', 'owner-pass'),
        RUNTIME_DATABASE_URL: as('ext_plain_owner', 'owner-pass'),
        DATA_DIR: tempDir(),
        SESSION_SECRET: 'f'.repeat(40),
      });
      expect(ownerAsRuntime.code, 'the owner may not serve requests').to.equal(1);
      expect(ownerAsRuntime.output).to.contain('must not own the tables');

      const server = await startServer({
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        DATABASE_URL: as('ext_plain_owner', 'owner-pass'),
        RUNTIME_DATABASE_URL: as('ext_plain_app', 'app-pass'),
        DATA_DIR: tempDir(),
        SESSION_SECRET: 'g'.repeat(40),
      });
      expect((await get(server.port, '/readyz')).status).to.equal(200);
      expect((await get(server.port, '/sign-in')).status).to.equal(200);
      const orgs = await knexFactory({ client: 'pg', connection: tc.superuserUrl('ext_b'), pool: { min: 0, max: 1 } });
      expect(Number((await orgs('organisations').count('* as n'))[0]!.n), 'no demo data in production').to.equal(0);
      await orgs.destroy();
      expect(await stop(server)).to.equal(0);
    } finally {
      await su.raw('drop database if exists ext_b with (force)');
      await su.raw('drop role if exists ext_plain_app');
      await su.raw('drop role if exists ext_plain_owner');
      await su.destroy();
    }
  });
});
