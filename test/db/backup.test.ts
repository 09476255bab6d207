import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { expect } from 'chai';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { backupFileName, pruneBackups, stableTextSettings, tableFingerprints } from '../../src/db/backup.js';
import { ensureBackupRole, withClient, withCredentials } from '../../src/db/provision.js';
import { projectRoot } from '../../src/paths.js';
import { freePort, freshDatabase, roles, type TestDatabase, testCluster } from '../helpers/cluster.js';
import { startServerProcess } from '../helpers/server-process.js';

const backupRole = { name: 'waypoint_backup', password: 'test-backup-password' };

/** Runs `npm run backup` / `npm run restore`'s program (from TypeScript) to its exit. */
function cli(
  name: 'backup' | 'restore',
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(process.execPath, ['--import', 'tsx', `src/cli/${name}.ts`, ...args], {
      cwd: projectRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/** Every public table's row count and checksum, read by a role that sees every row, with the table flags that must survive. */
async function snapshot(url: string) {
  return withClient(url, async (client) => {
    await client.query('begin');
    await client.query(stableTextSettings);
    const { rows } = await client.query<{ name: string; forced: boolean; rls: boolean; triggers: string }>(
      `select c.relname as name, c.relforcerowsecurity as forced, c.relrowsecurity as rls,
              (select string_agg(t.tgname || ':' || t.tgenabled::text, ',' order by t.tgname) from pg_trigger t where t.tgrelid = c.oid and not t.tgisinternal) as triggers
         from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind = 'r' order by 1`,
    );
    const prints = await tableFingerprints(
      client,
      rows.map((r) => r.name),
    );
    await client.query('commit');
    return Object.fromEntries(
      rows.map((r) => [r.name, { ...prints[r.name]!, forced: r.forced, rls: r.rls, triggers: r.triggers }]),
    );
  });
}

describe('Backups and restore (R2, P25)', function () {
  this.timeout(180_000);
  const dirs: string[] = [];
  const tempDir = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'waypoint-backup-'));
    dirs.push(d);
    return d;
  };
  let source: TestDatabase;
  let su: Knex;
  const drills: string[] = [];
  let env: Record<string, string>;
  let dataDir: string;

  const emptyDatabase = async () => {
    const name = `drill_${drills.length}_${process.pid}`;
    await su.raw(`create database ${name} owner ${roles.owner.name} template template0`);
    drills.push(name);
    return name;
  };

  before(async () => {
    source = await freshDatabase();
    su = knexFactory({ client: 'pg', connection: testCluster().superuserUrl(), pool: { min: 0, max: 1 } });
    await withClient(testCluster().superuserUrl(source.name), (c) =>
      ensureBackupRole(c, backupRole.name, backupRole.password, source.name),
    );
    dataDir = tempDir();
    env = {
      DATABASE_URL: source.ownerUrl,
      RUNTIME_DATABASE_URL: source.runtimeUrl,
      SESSION_SECRET: 'backup-test-session-secret-0123456789',
      BACKUP_DATABASE_URL: withCredentials(source.ownerUrl, backupRole.name, backupRole.password),
      DATA_DIR: dataDir,
    };
  });
  after(async () => {
    for (const name of drills) await su.raw(`drop database if exists ${name} with (force)`);
    await su.destroy();
    await source.drop();
    dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
  });

  it('R2: the owner cannot read every row under FORCE row-level security; the backup role can, and may change nothing', async () => {
    const owner = new pg.Client({ connectionString: source.ownerUrl });
    await owner.connect();
    const ownerSees = Number((await owner.query('select count(*) from pupils')).rows[0].count);
    await owner.end();
    const backup = new pg.Client({ connectionString: env.BACKUP_DATABASE_URL });
    await backup.connect();
    try {
      const backupSees = Number((await backup.query('select count(*) from pupils')).rows[0].count);
      expect(ownerSees, 'the owner is bound by FORCE RLS').to.equal(0);
      expect(backupSees).to.be.greaterThan(500);
      const write = await backup.query(`update school_settings set dsl_name = 'x'`).then(
        () => 'written',
        (e: Error) => e.message,
      );
      expect(write).to.match(/read-only transaction/);
      await backup.query('set default_transaction_read_only = off');
      const write2 = await backup.query(`update school_settings set dsl_name = 'x'`).then(
        () => 'written',
        (e: Error) => e.message,
      );
      expect(write2).to.match(/permission denied/);
    } finally {
      await backup.end();
    }
  });

  it('R2 and P25: npm run backup writes a 0600 dump to DATA_DIR/backups, deletes only dumps older than 90 days, and the restore into a fresh database matches every table', async () => {
    const folder = path.join(dataDir, 'backups');
    fs.mkdirSync(folder, { recursive: true });
    const day = 86_400_000;
    const old = backupFileName(new Date(Date.now() - 91 * day));
    const recent = backupFileName(new Date(Date.now() - 89 * day));
    for (const f of [old, recent, 'notes.txt']) fs.writeFileSync(path.join(folder, f), 'x');

    const made = await cli('backup', [], env);
    expect(made.code, made.output).to.equal(0);
    expect(made.output).to.contain(`Deleted 1 backup older than 90 days (P25): ${old}`);
    const dumps = fs
      .readdirSync(folder)
      .filter((f) => f.endsWith('.dump') && f !== recent)
      .sort();
    expect(dumps).to.have.length(1);
    expect(fs.readdirSync(folder)).to.include.members([recent, 'notes.txt']).and.not.include(old);
    const file = path.join(folder, dumps[0]!);
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600);

    const drill = await emptyDatabase();
    const restored = await cli('restore', [file, '--database', drill], env);
    expect(restored.code, restored.output).to.equal(0);
    expect(restored.output).to.match(/rows in \d+ tables match the backup's row counts and checksums/);

    const before = await snapshot(testCluster().superuserUrl(source.name));
    const after = await snapshot(testCluster().superuserUrl(drill));
    expect(Object.keys(after)).to.deep.equal(Object.keys(before));
    const filled = Object.values(before).filter((t) => t.rows > 0).length;
    expect(filled, 'the demo seed fills most tables').to.be.greaterThan(15);
    for (const [table, print] of Object.entries(before)) expect(after[table], table).to.deep.equal(print);
    console.log(
      `      (${Object.keys(before).length} tables, ${filled} with rows, ${Object.values(before).reduce((n, t) => n + t.rows, 0)} rows: counts and md5 equal)`,
    );

    // The restored database serves: the runtime role reads it under RLS as before.
    const runtime = knexFactory({
      client: 'pg',
      connection: testCluster().runtimeUrl(drill),
      pool: { min: 0, max: 1 },
    });
    try {
      expect(Number((await runtime('pupils').count('* as n'))[0]!.n), 'RLS still applies to the runtime role').to.equal(
        0,
      );
    } finally {
      await runtime.destroy();
    }
  });

  it('R2: restore refuses a database that has tables unless --force, and rolls back a backup whose rows do not match its manifest', async () => {
    const file = path.join(tempDir(), 'one.dump');
    expect((await cli('backup', ['--out', file], env)).code).to.equal(0);
    const refused = await cli('restore', [file], env);
    expect(refused.code).to.equal(1);
    expect(refused.output).to.contain('The database already has tables');

    // One changed character in one row: the checksum no longer matches and nothing is kept.
    const text = zlib.gunzipSync(fs.readFileSync(file)).toString('utf8');
    const tampered = text.replace(/"name":"Oakfield Primary School"/, '"name":"Oakfield Primary Schoo1"');
    expect(tampered).not.to.equal(text);
    const bad = path.join(path.dirname(file), 'tampered.dump');
    fs.writeFileSync(bad, zlib.gzipSync(tampered));
    const drill = await emptyDatabase();
    const rejected = await cli('restore', [bad, '--database', drill], env);
    expect(rejected.code).to.equal(1);
    expect(rejected.output).to.match(/do not match the backup's manifest in .*organisations/);
    const rows = await snapshot(testCluster().superuserUrl(drill));
    // Only the schema its migrations built is there (and their own bookkeeping), not one row of the backup.
    const kept = Object.entries(rows)
      .filter(([t, f]) => f.rows > 0 && !t.startsWith('knex_migrations'))
      .map(([t]) => t);
    expect(kept, 'no rows kept').to.deep.equal([]);

    // A cut-off file has no manifest and is refused too.
    const cut = path.join(path.dirname(file), 'cut.dump');
    fs.writeFileSync(cut, zlib.gzipSync(text.slice(0, Math.floor(text.length / 2)).replace(/\n[^\n]*$/, '\n')));
    const forced = await cli('restore', [cut, '--database', drill, '--force'], env);
    expect(forced.code).to.equal(1);
    expect(forced.output).to.contain('incomplete');
  });

  it('R2: with the embedded PostgreSQL, backup works while npm start runs and restore while it is stopped', async () => {
    const dir = tempDir();
    const embeddedEnv = { DATA_DIR: dir, EMBEDDED_PG_PORT: String(await freePort()) };
    const server = await startServerProcess(embeddedEnv);
    const file = path.join(dir, 'live.dump');
    let made;
    try {
      made = await cli('backup', ['--out', file], embeddedEnv);
    } finally {
      expect(await server.stop()).to.equal(0);
    }
    expect(made.code, made.output).to.equal(0);
    expect(made.output).to.contain('already running');
    const restored = await cli('restore', [file, '--database', 'waypoint_drill'], embeddedEnv);
    expect(restored.code, restored.output).to.equal(0);
    expect(restored.output).to.contain('started for this command');
    expect(restored.output).to.match(/rows in \d+ tables match/);
    expect(fs.existsSync(path.join(dir, 'pg', 'postmaster.pid')), 'the brief PostgreSQL stopped again').to.equal(false);
  });

  it('P25: retention reads the time in the name and leaves other files alone', () => {
    const dir = tempDir();
    const now = new Date('2026-12-01T12:00:00Z');
    const names = [
      'waypoint-20260901T115959Z.dump',
      'waypoint-20260902T120001Z.dump',
      'waypoint-20200101T000000Z.dump.partial',
      'other.dump',
    ];
    for (const n of names) fs.writeFileSync(path.join(dir, n), '');
    expect(pruneBackups(dir, now)).to.deep.equal(['waypoint-20260901T115959Z.dump']);
    expect(fs.readdirSync(dir).sort()).to.deep.equal(names.slice(1).sort());
  });
});
