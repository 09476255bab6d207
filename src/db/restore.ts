import fs from 'node:fs';
import readline from 'node:readline';
import zlib from 'node:zlib';
import knexFactory from 'knex';
import pg from 'pg';
import {
  type BackupHeader,
  backupFormat,
  describeTables,
  type Manifest,
  stableTextSettings,
  tableFingerprints,
} from './backup.js';
import { migrate, migratorConfig } from './migrate.js';
import { ident } from './provision.js';

/**
 * Restores a backup written by `writeBackup` (R2) into an empty database: the schema from
 * Waypoint's migrations as they stood when the backup was made, then every row and sequence in one
 * transaction, checked against the backup's manifest before it commits (a restore that does not
 * match is rolled back), then any later migrations and the runtime grants, as a start-up would.
 * It runs as the owner role: FORCE row-level security and user triggers are lifted for the load
 * transaction only, as the data migrations do, so rows go back exactly as they were.
 */

export class RestoreRefused extends Error {}

export interface RestoreOptions {
  ownerUrl: string;
  runtimeRole: string;
  file: string;
  /** Replace a database that already has tables (everything in its public schema is dropped). */
  force?: boolean;
  log?: (message: string) => void;
}

export interface RestoreResult {
  header: BackupHeader;
  manifest: Manifest;
  rows: number;
  laterMigrations: string[];
}

function lines(file: string): AsyncIterable<string> {
  const input = fs.createReadStream(file).pipe(zlib.createGunzip());
  return readline.createInterface({ input, crlfDelay: Infinity });
}

/** The backup's header, checked to be one of ours. */
export async function readHeader(file: string): Promise<BackupHeader> {
  let first: string | undefined;
  try {
    for await (const line of lines(file)) {
      first = line;
      break;
    }
  } catch {
    throw new RestoreRefused(`${file} is not a Waypoint backup (not gzip).`);
  }
  const header = first?.startsWith('#') ? (JSON.parse(first.slice(1)) as BackupHeader) : undefined;
  if (header?.format !== backupFormat || header.version !== 1)
    throw new RestoreRefused(`${file} is not a Waypoint backup.`);
  return header;
}

async function codeMigrations(): Promise<string[]> {
  const source = migratorConfig().migrationSource!;
  return (await source.getMigrations([])).map((m) => source.getMigrationName(m));
}

export async function restoreBackup(opts: RestoreOptions): Promise<RestoreResult> {
  const log = opts.log ?? (() => undefined);
  const header = await readHeader(opts.file);
  const known = new Set(await codeMigrations());
  const unknown = header.migrations.filter((m) => !known.has(m));
  if (unknown.length)
    throw new RestoreRefused(
      `This backup was made by a newer Waypoint (migrations ${unknown.join(', ')} are not in this version). Restore it with that version or later.`,
    );

  const owner = knexFactory({ client: 'pg', connection: opts.ownerUrl, pool: { min: 0, max: 1 } });
  try {
    const { rows } = await owner.raw<{ rows: { n: number }[] }>(
      `select count(*)::int as n from pg_tables where schemaname = 'public'`,
    );
    if (rows[0]!.n > 0) {
      if (!opts.force)
        throw new RestoreRefused(
          'The database already has tables. Restore into an empty database, or add --force to replace everything in it.',
        );
      log('--force: dropping everything in the public schema');
      await owner.raw('drop schema public cascade; create schema public');
    }
    for (const name of header.migrations) await owner.migrate.up({ ...migratorConfig(), name });
    log(`schema rebuilt from ${header.migrations.length} migrations`);
  } finally {
    await owner.destroy();
  }

  const { manifest, rows } = await loadRows(opts.ownerUrl, opts.file, log);

  const after = knexFactory({ client: 'pg', connection: opts.ownerUrl, pool: { min: 0, max: 2 } });
  try {
    const laterMigrations = await migrate(after, opts.runtimeRole);
    return { header, manifest, rows, laterMigrations };
  } finally {
    await after.destroy();
  }
}

/** Loads every row and sequence in one transaction and commits only if the manifest matches. */
async function loadRows(
  ownerUrl: string,
  file: string,
  log: (m: string) => void,
): Promise<{ manifest: Manifest; rows: number }> {
  const client = new pg.Client({ connectionString: ownerUrl, application_name: 'waypoint-restore' });
  await client.connect();
  try {
    await client.query('begin');
    await client.query(stableTextSettings);
    const tables = new Map((await describeTables(client)).map((t) => [t.name, t]));
    const { rows: forced } = await client.query<{ name: string }>(
      `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'p') and c.relforcerowsecurity`,
    );
    const names = [...tables.keys()];
    for (const name of names) await client.query(`alter table public.${ident(name)} disable trigger user`);
    for (const { name } of forced) await client.query(`alter table public.${ident(name)} no force row level security`);
    // Migrations may insert reference rows; the backup's own rows replace them.
    if (names.length) await client.query(`truncate table ${names.map((n) => `public.${ident(n)}`).join(', ')}`);

    let manifest: Manifest | undefined;
    let current: { table: string; columns: string[] } | undefined;
    let batch: string[] = [];
    let batchChars = 0;
    let total = 0;
    const flush = async () => {
      if (!current || !batch.length) return;
      const cols = current.columns.map(ident).join(', ');
      const target = `public.${ident(current.table)}`;
      await client.query(
        `insert into ${target} (${cols}) overriding system value select ${cols} from json_populate_recordset(null::${target}, $1::json)`,
        [`[${batch.join(',')}]`],
      );
      total += batch.length;
      batch = [];
      batchChars = 0;
    };
    let first = true;
    for await (const line of lines(file)) {
      if (first) {
        first = false;
        continue;
      }
      if (!line.startsWith('#')) {
        if (!current) throw new RestoreRefused('The backup is damaged: a row comes before any table.');
        batch.push(line);
        batchChars += line.length;
        if (batch.length >= 500 || batchChars > 4_000_000) await flush();
        continue;
      }
      await flush();
      const control = JSON.parse(line.slice(1)) as {
        table?: string;
        columns?: string[];
        sequences?: { name: string; value: string; called: boolean }[];
        manifest?: Manifest;
      };
      if (control.table) {
        const info = tables.get(control.table);
        const missing = (control.columns ?? []).filter((c) => !info?.columns.includes(c));
        if (!info || missing.length)
          throw new RestoreRefused(
            `The backup's table ${control.table} does not match the schema its migrations build${missing.length ? ` (columns ${missing.join(', ')})` : ''}.`,
          );
        current = { table: control.table, columns: control.columns! };
      } else if (control.sequences) {
        for (const s of control.sequences)
          await client.query('select setval($1::regclass, $2::bigint, $3)', [
            `public.${ident(s.name)}`,
            s.value,
            s.called,
          ]);
      } else if (control.manifest) {
        manifest = control.manifest;
      }
    }
    await flush();
    if (!manifest) throw new RestoreRefused('The backup is incomplete (it has no manifest); nothing was restored.');

    const restored = await tableFingerprints(client, Object.keys(manifest.tables));
    const wrong = Object.entries(manifest.tables).filter(
      ([t, f]) => restored[t]!.rows !== f.rows || restored[t]!.md5 !== f.md5,
    );
    if (wrong.length) {
      throw new RestoreRefused(
        `The restored rows do not match the backup's manifest in ${wrong.map(([t]) => t).join(', ')}; nothing was restored.`,
      );
    }
    log(`${total} rows in ${Object.keys(manifest.tables).length} tables match the backup's row counts and checksums`);

    for (const { name } of forced) await client.query(`alter table public.${ident(name)} force row level security`);
    for (const name of names) await client.query(`alter table public.${ident(name)} enable trigger user`);
    await client.query('commit');
    return { manifest, rows: total };
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
}
