import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Random secrets for a development machine, created once under DATA_DIR and
 * kept between runs so sessions and the embedded database survive restarts.
 * Production never uses these: it must be given SESSION_SECRET and DATABASE_URL.
 */
export interface LocalSecrets {
  postgresPassword: string;
  ownerPassword: string;
  runtimePassword: string;
  sessionSecret: string;
  /** Added later than the others, so an older secrets.json gains it on first read. */
  backupPassword: string;
}

export function loadLocalSecrets(dataDir: string): LocalSecrets {
  const file = path.join(dataDir, 'secrets.json');
  // Traversable but not listable: when run as root, Postgres runs as another OS user and must reach its folder.
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o711 });
  if (process.getuid?.() === 0) fs.chmodSync(dataDir, 0o711);
  if (fs.existsSync(file)) {
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LocalSecrets>;
    if (stored.backupPassword) return stored as LocalSecrets;
    const upgraded = { ...stored, backupPassword: randomSecret() } as LocalSecrets;
    fs.writeFileSync(file, JSON.stringify(upgraded, null, 2), { mode: 0o600 });
    return upgraded;
  }
  const secrets: LocalSecrets = {
    postgresPassword: randomSecret(),
    ownerPassword: randomSecret(),
    runtimePassword: randomSecret(),
    sessionSecret: randomSecret(),
    backupPassword: randomSecret(),
  };
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

export function randomSecret(): string {
  return crypto.randomBytes(32).toString('base64url');
}

/** A stable password for the runtime role, derived so every app instance agrees without storing it. */
export function deriveRuntimePassword(sessionSecret: string, roleName: string): string {
  return crypto.createHmac('sha256', sessionSecret).update(`waypoint runtime role:${roleName}`).digest('base64url');
}
