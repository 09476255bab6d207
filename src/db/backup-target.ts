import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { startEmbeddedPostgres } from './embedded.js';
import { deriveRuntimePassword, loadLocalSecrets } from './local-secrets.js';
import {
  ensureBackupRole,
  ident,
  provisionEmbedded,
  urlDatabase,
  urlUser,
  withClient,
  withCredentials,
} from './provision.js';

/**
 * Where `npm run backup` and `npm run restore` connect (R2): the embedded PostgreSQL under DATA_DIR
 * (the one `npm start` is running, over TCP, or else started for the length of the command), or
 * the server in DATABASE_URL with the backup role in BACKUP_DATABASE_URL.
 */
export interface BackupTarget {
  /** The database Waypoint uses. */
  database: string;
  ownerUrl(database?: string): string;
  backupUrl(database?: string): string;
  runtimeRole: string;
  /** Where the database is, for the command's output (no credentials). */
  describe: string;
  /** Makes an empty database for a restore drill (or keeps an existing one), with Waypoint's database grants. */
  ensureDatabase(name: string): Promise<void>;
  close(): Promise<void>;
}

const withDatabase = (url: string, database: string) => {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
};

/** The postmaster `npm start` left running in this data directory, if any: its pid and port. */
function runningPostmaster(pgDir: string): { pid: number; port: number } | null {
  const file = path.join(pgDir, 'postmaster.pid');
  if (!fs.existsSync(file)) return null;
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
  if (!(pid > 0 && port > 0)) return null;
  try {
    process.kill(pid, 0);
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres') ? { pid, port } : null;
  } catch {
    return null;
  }
}

async function embeddedTarget(config: Config, logger: Logger): Promise<BackupTarget> {
  const secrets = loadLocalSecrets(config.DATA_DIR);
  const pgDir = path.join(config.DATA_DIR, 'pg');
  const running = runningPostmaster(pgDir);
  let superuserUrl: (db?: string) => string;
  let stop = async () => {};
  let describe: string;
  if (running) {
    superuserUrl = (db = 'postgres') =>
      `postgres://postgres:${encodeURIComponent(secrets.postgresPassword)}@127.0.0.1:${running.port}/${db}`;
    describe = `the embedded PostgreSQL already running on 127.0.0.1:${running.port}`;
  } else {
    const cluster = await startEmbeddedPostgres({
      dataDir: pgDir,
      port: config.EMBEDDED_PG_PORT,
      password: secrets.postgresPassword,
      logger,
    });
    superuserUrl = cluster.superuserUrl;
    stop = () => cluster.stop();
    describe = `the embedded PostgreSQL in ${pgDir}, started for this command`;
  }
  const roles = {
    owner: { name: 'waypoint_owner', password: secrets.ownerPassword },
    runtime: { name: 'waypoint_app', password: secrets.runtimePassword },
    backup: { name: 'waypoint_backup', password: secrets.backupPassword },
  };
  try {
    // Idempotent; also gives a server started before the backup role existed its backup role.
    await provisionEmbedded(superuserUrl(), { database: 'waypoint', ...roles });
  } catch (err) {
    await stop();
    throw err;
  }
  const as =
    (role: { name: string; password: string }) =>
    (db = 'waypoint') =>
      withCredentials(superuserUrl(), role.name, role.password, db);
  return {
    database: 'waypoint',
    ownerUrl: as(roles.owner),
    backupUrl: as(roles.backup),
    runtimeRole: roles.runtime.name,
    describe,
    async ensureDatabase(name) {
      await provisionEmbedded(superuserUrl(), { database: name, ...roles });
    },
    close: stop,
  };
}

async function externalTarget(config: Config, ownerUrl: string): Promise<BackupTarget> {
  const database = urlDatabase(ownerUrl);
  const safe = (suffix: string) =>
    `${database}_${suffix}`
      .toLowerCase()
      .replace(/[^a-z0-9_]/g, '_')
      .slice(0, 63);
  const runtimeRole = config.RUNTIME_DATABASE_URL ? urlUser(config.RUNTIME_DATABASE_URL) : safe('app');
  let backupUrl = config.BACKUP_DATABASE_URL;
  let backupRole = backupUrl ? urlUser(backupUrl) : safe('backup');
  const describe = `${new URL(ownerUrl).host}/${database}`;
  const backup = async (): Promise<string> => {
    if (backupUrl) return backupUrl;
    // Only a superuser may make a BYPASSRLS role; otherwise an administrator makes it (README).
    const secret = config.SESSION_SECRET ?? loadLocalSecrets(config.DATA_DIR).sessionSecret;
    const password = deriveRuntimePassword(secret, backupRole);
    await withClient(ownerUrl, async (client) => {
      const { rows } = await client.query<{ rolsuper: boolean }>(
        'select rolsuper from pg_roles where rolname = current_user',
      );
      if (!rows[0]?.rolsuper) {
        throw new Error(
          'Set BACKUP_DATABASE_URL to a login role with BYPASSRLS and pg_read_all_data (README, "Backups, restore and drills"): the DATABASE_URL role may not create one.',
        );
      }
      await ensureBackupRole(client, backupRole, password, database);
    });
    backupUrl = withCredentials(ownerUrl, backupRole, password);
    return backupUrl;
  };
  const url = await backup();
  backupRole = urlUser(url);
  return {
    database,
    ownerUrl: (db = database) => withDatabase(ownerUrl, db),
    backupUrl: (db = database) => withDatabase(url, db),
    runtimeRole,
    describe,
    async ensureDatabase(name) {
      await withClient(ownerUrl, async (client) => {
        const exists = await client.query('select 1 from pg_database where datname = $1', [name]);
        if (!exists.rowCount) {
          try {
            await client.query(`create database ${ident(name)} encoding 'UTF8' template template0`);
          } catch {
            throw new Error(
              `Could not create database ${name} (the DATABASE_URL role needs CREATEDB). Create it empty, owned by ${urlUser(ownerUrl)}, and run the restore again.`,
            );
          }
        }
        await client.query(`revoke all on database ${ident(name)} from public`);
        // The runtime role may not exist yet on a new server; start-up grants it then.
        for (const role of [runtimeRole, backupRole])
          await client.query(`grant connect on database ${ident(name)} to ${ident(role)}`).catch(() => undefined);
      });
    },
    close: async () => {},
  };
}

export function openBackupTarget(config: Config, logger: Logger): Promise<BackupTarget> {
  return config.DATABASE_URL ? externalTarget(config, config.DATABASE_URL) : embeddedTarget(config, logger);
}
