import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { loadConfig } from '../../src/config.js';
import { connectDatabase, type Database } from '../../src/db/index.js';
import { type EmbeddedCluster, startEmbeddedPostgres } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrate.js';
import { provisionEmbedded, withCredentials } from '../../src/db/provision.js';
import { seedDemo } from '../../src/demo/seed.js';
import { createLogger } from '../../src/logger.js';
import { PasswordHasher } from '../../src/modules/tenancy/passwords.js';

/**
 * One throwaway embedded PostgreSQL for the whole test run (never .data/). A template database
 * holds the migrated schema and the demo seed; each test suite clones it, so suites never see
 * each other's writes.
 */
export interface TestCluster {
  cluster: EmbeddedCluster;
  dir: string;
  superuserUrl(db?: string): string;
  ownerUrl(db: string): string;
  runtimeUrl(db: string): string;
  runtimeRole: string;
}

export const roles = {
  owner: { name: 'waypoint_owner', password: 'test-owner-password' },
  runtime: { name: 'waypoint_app', password: 'test-runtime-password' },
};
const template = 'waypoint_template';
const silent = createLogger('silent');

let current: TestCluster | undefined;

export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export async function startTestCluster(): Promise<TestCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'waypoint-test-'));
  fs.chmodSync(dir, 0o711);
  const cluster = await startEmbeddedPostgres({
    dataDir: path.join(dir, 'pg'),
    port: await freePort(),
    password: 'test-superuser',
    logger: silent,
    throwaway: true,
  });
  await provisionEmbedded(cluster.superuserUrl(), { database: template, ...roles });
  const tc: TestCluster = {
    cluster,
    dir,
    superuserUrl: (db = 'postgres') => cluster.superuserUrl(db),
    ownerUrl: (db) => withCredentials(cluster.superuserUrl(), roles.owner.name, roles.owner.password, db),
    runtimeUrl: (db) => withCredentials(cluster.superuserUrl(), roles.runtime.name, roles.runtime.password, db),
    runtimeRole: roles.runtime.name,
  };
  const owner = knexFactory({ client: 'pg', connection: tc.ownerUrl(template), pool: { min: 0, max: 1 } });
  await migrate(owner, roles.runtime.name);
  await owner.destroy();
  const db = connectDatabase({ runtimeUrl: tc.runtimeUrl(template), poolMax: 2, logger: silent });
  await seedDemo(db, new PasswordHasher({ memoryCost: 19456, timeCost: 2 }));
  await db.close();
  current = tc;
  return tc;
}

export function testCluster(): TestCluster {
  if (!current) throw new Error('The test cluster is not running (test/helpers/hooks.ts starts it).');
  return current;
}

export interface TestDatabase {
  name: string;
  db: Database;
  /** Superuser access to this database, for test set-up and inspection only (bypasses RLS). */
  su: Knex;
  runtimeUrl: string;
  ownerUrl: string;
  drop(): Promise<void>;
}

/** A fresh copy of the demo database, with a runtime-role Database and a superuser knex. */
export async function freshDatabase(): Promise<TestDatabase> {
  const tc = testCluster();
  const name = `t_${crypto.randomBytes(6).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: tc.superuserUrl(), pool: { min: 0, max: 1 } });
  await admin.raw(`create database ${name} template ${template} strategy file_copy owner ${roles.owner.name}`);
  await admin.destroy();
  const db = connectDatabase({ runtimeUrl: tc.runtimeUrl(name), poolMax: 5, logger: silent });
  const su = knexFactory({ client: 'pg', connection: tc.superuserUrl(name), pool: { min: 0, max: 2 } });
  return {
    name,
    db,
    su,
    runtimeUrl: tc.runtimeUrl(name),
    ownerUrl: tc.ownerUrl(name),
    async drop() {
      await db.close();
      await su.destroy();
      const a = knexFactory({ client: 'pg', connection: tc.superuserUrl(), pool: { min: 0, max: 1 } });
      await a.raw(`drop database if exists ${name} with (force)`);
      await a.destroy();
    },
  };
}

export const testConfig = (overrides: Record<string, string> = {}) =>
  loadConfig({
    NODE_ENV: 'test',
    PUBLIC_ORIGIN: 'http://127.0.0.1',
    LOG_LEVEL: 'info',
    SEED_DEMO: 'false',
    ...overrides,
  });
