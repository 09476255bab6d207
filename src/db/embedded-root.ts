import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger.js';
import { StartupError } from '../startup-error.js';

/**
 * PostgreSQL refuses to run as root, so as root Waypoint runs it as the `postgres` OS user. That
 * user cannot enter a folder such as /root (mode 0700), and so can reach neither the binaries in
 * node_modules nor a data folder beneath it. When that is so, the binaries are copied once to
 * /var/lib/waypoint/postgres-<version>/ (root-owned, readable by all) and the database lives in
 * /var/lib/waypoint/<id>/pg (owned by postgres, mode 0700), linked from where it would have been.
 */
export const sharedRoot = '/var/lib/waypoint';

export interface OsUser {
  uid: number;
  gid: number;
}

/** The `postgres` OS user, created (as a system user without a home) when it does not exist. */
export function postgresUser(): OsUser {
  const found = lookUp();
  if (found) return found;
  try {
    if (spawnSync('getent', ['group', 'postgres'], { stdio: 'ignore' }).status !== 0) {
      execFileSync('groupadd', ['--system', 'postgres'], { stdio: 'ignore' });
    }
    execFileSync(
      'useradd',
      ['--system', '--gid', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'],
      { stdio: 'ignore' },
    );
  } catch {
    // Fall through to the message below.
  }
  const created = lookUp();
  if (!created) {
    throw new StartupError(
      'PostgreSQL will not run as root and Waypoint could not create the `postgres` OS user to run it: create that user (useradd --system postgres), or run Waypoint as another user.',
    );
  }
  return created;
}

function lookUp(): OsUser | undefined {
  try {
    const uid = Number(
      execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
    );
    const gid = Number(
      execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
    );
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Asks the system itself, as `user`, whether `test <flag> <file>` holds: every folder on the way
 * must let that user through, which a check of one folder's mode would miss.
 */
export function userCan(user: OsUser, flag: '-x' | '-r', file: string): boolean {
  const r = spawnSync('/bin/sh', ['-c', `test ${flag} "$1"`, 'sh', file], {
    uid: user.uid,
    gid: user.gid,
    cwd: '/',
    stdio: 'ignore',
  });
  return r.status === 0;
}

/**
 * The folder with bin/, lib/ and share/ that `user` can run PostgreSQL from: the package's own, or
 * else a copy under /var/lib/waypoint, made once per version. The copy belongs to root and is
 * readable by all, so the postgres user can run it but not change it.
 */
export function reachableBinaries(nativeDir: string, version: string, user: OsUser, logger: Logger): string {
  if (userCan(user, '-x', path.join(nativeDir, 'bin', 'postgres'))) return nativeDir;
  const target = path.join(ensureSharedRoot(), `postgres-${version}-${process.platform}-${process.arch}`);
  if (!fs.existsSync(path.join(target, 'bin', 'postgres'))) {
    // Copied under a temporary name and renamed, so a half-made copy is never used.
    const partial = `${target}.partial-${process.pid}`;
    fs.rmSync(partial, { recursive: true, force: true });
    fs.cpSync(nativeDir, partial, { recursive: true, verbatimSymlinks: true });
    openToAll(partial);
    try {
      fs.renameSync(partial, target);
    } catch (err) {
      fs.rmSync(partial, { recursive: true, force: true });
      if (!fs.existsSync(path.join(target, 'bin', 'postgres'))) throw err;
    }
    logger.info(
      { from: nativeDir, to: target },
      'copied the PostgreSQL binaries where the postgres OS user can run them',
    );
  }
  return target;
}

/**
 * Where the postgres user keeps the cluster `databaseDir` names. Its parent folder is used when
 * the postgres user may enter it (as before); otherwise /var/lib/waypoint/<id>/pg, with
 * `databaseDir` a symbolic link to it. <id> comes from the path, so the same DATA_DIR always finds
 * the same database. A database there whose link has gone (DATA_DIR deleted, so its passwords went
 * too) is kept aside, not reused and not deleted, and the log says where.
 */
export function reachableDataDir(databaseDir: string, user: OsUser, logger: Logger): string {
  const parent = path.dirname(databaseDir);
  fs.mkdirSync(parent, { recursive: true });
  let link = fs.lstatSync(databaseDir, { throwIfNoEntry: false });
  if (link?.isSymbolicLink()) {
    const target = path.resolve(parent, fs.readlinkSync(databaseDir));
    if (fs.existsSync(target)) return target;
    fs.unlinkSync(databaseDir); // its database was deleted: start afresh
    link = undefined;
  }
  if (userCan(user, '-x', parent)) return databaseDir;
  if (link) {
    if (fs.existsSync(path.join(databaseDir, 'PG_VERSION'))) {
      throw new StartupError(
        `The embedded database ${databaseDir} is in a folder the postgres OS user cannot enter: move the project (or DATA_DIR) to a folder everyone may enter, or run Waypoint as another user.`,
      );
    }
    fs.rmSync(databaseDir, { recursive: true, force: true });
  }
  const id = crypto
    .createHash('sha256')
    .update(path.join(fs.realpathSync(parent), path.basename(databaseDir)))
    .digest('hex')
    .slice(0, 16);
  const home = path.join(ensureSharedRoot(), id);
  if (fs.existsSync(path.join(home, 'pg', 'PG_VERSION'))) {
    const aside = `${home}.replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    fs.renameSync(home, aside);
    logger.warn(
      { kept: aside },
      'an earlier embedded database for this DATA_DIR had lost its link and passwords; kept it aside',
    );
  }
  fs.rmSync(home, { recursive: true, force: true }); // an unfinished first start
  fs.mkdirSync(home, { mode: 0o755 });
  fs.chmodSync(home, 0o755);
  fs.writeFileSync(path.join(home, 'belongs-to'), `${databaseDir}\n`);
  fs.symlinkSync(path.join(home, 'pg'), databaseDir);
  logger.info(
    { databaseDir: path.join(home, 'pg'), link: databaseDir },
    'the postgres OS user cannot enter DATA_DIR, so the embedded database lives here',
  );
  return path.join(home, 'pg');
}

/** Gives the directory to `user`, mode 0700, as PostgreSQL requires of its data folder. */
export function ownDataDir(dir: string, user: OsUser): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chownSync(dir, user.uid, user.gid);
  fs.chmodSync(dir, 0o700);
}

/** /var/lib/waypoint, refused unless it belongs to root and only root may write it (it holds binaries). */
function ensureSharedRoot(): string {
  try {
    fs.mkdirSync(sharedRoot, { recursive: true, mode: 0o755 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new StartupError(
      `The postgres OS user cannot enter this project's folder and Waypoint cannot create ${sharedRoot} (${code}): move the project to a folder everyone may enter, or run Waypoint as another user.`,
    );
  }
  const stat = fs.lstatSync(sharedRoot);
  if (!stat.isDirectory() || stat.uid !== 0 || (stat.mode & 0o022) !== 0) {
    throw new StartupError(
      `${sharedRoot} must be a folder owned by root that only root may write (chown root: and chmod 755 it).`,
    );
  }
  fs.chmodSync(sharedRoot, 0o755);
  return sharedRoot;
}

/** Folders 0755 and files 0644 or 0755 whatever the umask was, so the postgres user can use the copy. */
function openToAll(dir: string): void {
  fs.chmodSync(dir, 0o755);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) openToAll(p);
    else if (entry.isFile()) fs.chmodSync(p, fs.statSync(p).mode & 0o111 ? 0o755 : 0o644);
  }
}
