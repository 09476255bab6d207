import path from 'node:path';
import { parseArgs } from 'node:util';
import { openBackupTarget } from '../db/backup-target.js';
import { readHeader, restoreBackup } from '../db/restore.js';
import { createLogger } from '../logger.js';
import { plural, runCli } from './common.js';

const usage = 'Usage: npm run restore -- <backup file> [--database NAME] [--force]';

/**
 * `npm run restore -- FILE` (R2) restores into the configured database, which must be empty unless
 * `--force` is given (then everything in it is replaced: stop the app first). `--database NAME`
 * restores into that database instead, made empty if it does not exist: a restore drill that
 * leaves the live database alone. Either way the restored rows are checked against the backup's
 * row counts and checksums before the restore commits.
 */
runCli(async (config) => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { database: { type: 'string' }, force: { type: 'boolean', default: false } },
  });
  if (positionals.length !== 1) throw new Error(usage);
  if (values.database !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(values.database))
    throw new Error('--database takes a lower-case name of letters, digits and _');
  const file = path.resolve(positionals[0]!);
  const header = await readHeader(file);
  console.log(
    `Backup of ${header.database} made ${header.created_at} on PostgreSQL ${header.server_version} (${plural(header.migrations.length, 'migration')})`,
  );
  const target = await openBackupTarget(config, createLogger('warn'));
  try {
    const database = values.database ?? target.database;
    if (values.database) await target.ensureDatabase(database);
    console.log(`Restoring into database ${database} on ${target.describe}`);
    const result = await restoreBackup({
      ownerUrl: target.ownerUrl(database),
      runtimeRole: target.runtimeRole,
      file,
      force: values.force,
      log: (m) => console.log(`  ${m}`),
    });
    if (result.laterMigrations.length)
      console.log(
        `  then applied ${plural(result.laterMigrations.length, 'later migration')}: ${result.laterMigrations.join(', ')}`,
      );
    console.log(`Restored ${plural(result.rows, 'row')} into ${database}.`);
  } finally {
    await target.close();
  }
});
