import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import { paths } from '../paths.js';
import { ident } from './provision.js';

interface MigrationModule {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** Loads the migrations (TypeScript under tsx, compiled JavaScript from dist/) with dynamic import, in file-name order. */
class FolderMigrationSource implements Knex.MigrationSource<string> {
  constructor(private readonly directory: string) {}

  async getMigrations(): Promise<string[]> {
    return fs
      .readdirSync(this.directory)
      .filter((f) => /^\d{8}_\d{4}_[a-z0-9_]+\.(ts|js)$/.test(f))
      .sort();
  }

  getMigrationName(migration: string): string {
    return migration.replace(/\.(ts|js)$/, '');
  }

  async getMigration(migration: string): Promise<Knex.Migration> {
    const mod = (await import(pathToFileURL(path.join(this.directory, migration)).href)) as MigrationModule;
    return { up: mod.up, down: mod.down };
  }
}

/** Tables the runtime role may not change freely. Every other table gets SELECT/INSERT/UPDATE/DELETE. */
const runtimePrivilegeLimits: Record<string, string[]> = {
  knex_migrations: [],
  knex_migrations_lock: [],
  // L2: the audit log is append-only for the role that serves requests.
  audit_events: ['SELECT', 'INSERT'],
};

/**
 * Runs pending migrations as the owner, then (re)applies the runtime role's grants, so a new
 * table is usable the moment it exists and the limits above always hold.
 */
export const migratorConfig = (): Knex.MigratorConfig => ({
  migrationSource: new FolderMigrationSource(paths.migrations),
  tableName: 'knex_migrations',
});

export async function migrate(owner: Knex, runtimeRole: string): Promise<string[]> {
  const [, applied] = (await owner.migrate.latest(migratorConfig())) as [number, string[]];
  await applyRuntimeGrants(owner, runtimeRole);
  return applied;
}

export async function applyRuntimeGrants(owner: Knex, runtimeRole: string): Promise<void> {
  const role = ident(runtimeRole);
  const { rows } = await owner.raw<{ rows: { tablename: string }[] }>(
    `select tablename from pg_tables where schemaname = 'public'`,
  );
  await owner.transaction(async (trx) => {
    await trx.raw(`revoke create on schema public from public`);
    await trx.raw(`grant usage on schema public to ${role}`);
    for (const { tablename } of rows) {
      const table = ident(tablename);
      const limited = runtimePrivilegeLimits[tablename];
      await trx.raw(`revoke all on ${table} from ${role}`);
      const privileges = limited ?? ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];
      if (privileges.length) await trx.raw(`grant ${privileges.join(', ')} on ${table} to ${role}`);
    }
    await trx.raw(`grant usage, select on all sequences in schema public to ${role}`);
  });
}
