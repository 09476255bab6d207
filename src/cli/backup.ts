import path from 'node:path';
import { parseArgs } from 'node:util';
import { backupFileName, pruneBackups, retentionDays, writeBackup } from '../db/backup.js';
import { openBackupTarget } from '../db/backup-target.js';
import { createLogger } from '../logger.js';
import { plural, runCli } from './common.js';

/**
 * `npm run backup [-- --out FILE]` (R2): the whole database, read as the backup role, to
 * DATA_DIR/backups/waypoint-<UTC time>.dump (mode 0600); then backups in that folder older than
 * 90 days are deleted (P25). Works while `npm start` runs (it connects to the running embedded
 * PostgreSQL) and while it does not (it starts the embedded PostgreSQL for the length of the backup).
 */
runCli(async (config) => {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const file = path.resolve(values.out ?? path.join(config.DATA_DIR, 'backups', backupFileName()));
  const target = await openBackupTarget(config, createLogger('warn'));
  try {
    console.log(
      `Backing up database ${target.database} on ${target.describe}, as the backup role (BYPASSRLS, read-only)`,
    );
    const started = Date.now();
    const { bytes, manifest } = await writeBackup(target.backupUrl(), file);
    const counts = Object.values(manifest.tables);
    const rows = counts.reduce((n, t) => n + t.rows, 0);
    console.log(
      `Wrote ${file} (${(bytes / 1024).toFixed(0)} KiB, readable by its owner only): ${plural(counts.length, 'table')}, ${plural(rows, 'row')}, in ${Date.now() - started} ms`,
    );
    const removed = pruneBackups(path.dirname(file));
    console.log(
      removed.length
        ? `Deleted ${plural(removed.length, 'backup')} older than ${retentionDays} days (P25): ${removed.join(', ')}`
        : `No backups older than ${retentionDays} days in ${path.dirname(file)} (P25: backups are kept ${retentionDays} days, then deleted)`,
    );
  } finally {
    await target.close();
  }
});
