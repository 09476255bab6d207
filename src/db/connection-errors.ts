import { StartupError } from '../startup-error.js';

interface PgLikeError {
  code?: string;
  message?: string;
  errors?: PgLikeError[];
  name?: string;
}

/**
 * Runs one start-up step against a database and, if it cannot connect, says so in one line that
 * names the setting to fix. The line gives host, port, database and role, never the password.
 * `setting` is what the user controls: `DATABASE_URL`, `RUNTIME_DATABASE_URL` or the embedded one.
 */
export async function reaching<T>(setting: string, url: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    throw connectionProblem(setting, url, err) ?? err;
  }
}

export function connectionProblem(setting: string, url: string, err: unknown): StartupError | undefined {
  const e = (err ?? {}) as PgLikeError;
  const code = e.code ?? e.errors?.[0]?.code;
  const u = new URL(url);
  const where = `${u.hostname}:${u.port || '5432'}`;
  const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres';
  const role = decodeURIComponent(u.username);
  const embedded = setting === 'embedded';
  const fix = embedded
    ? 'delete DATA_DIR/pg to start with a fresh demo database, or restore DATA_DIR/secrets.json'
    : `correct ${setting}`;
  switch (code) {
    case 'ECONNREFUSED':
      return new StartupError(
        `Cannot connect to the PostgreSQL in ${setting} (${where}): connection refused. Start that PostgreSQL, or correct ${setting}.`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StartupError(
        `Cannot connect to the PostgreSQL in ${setting}: host ${u.hostname} not found. Correct the host in ${setting}.`,
      );
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new StartupError(
        `Cannot connect to the PostgreSQL in ${setting} (${where}): no answer. Check the host, the port and any firewall, or correct ${setting}.`,
      );
    case '28P01':
      return new StartupError(
        `PostgreSQL refused the password of role "${role}" (${embedded ? 'the embedded database' : setting}): ${fix}.`,
      );
    case '28000':
      return new StartupError(
        `PostgreSQL refused role "${role}" from ${setting} (${e.message ?? 'no access'}): check that the role exists and pg_hba.conf lets it in, or ${fix}.`,
      );
    case '3D000':
      return new StartupError(
        `Database "${database}" in ${setting} does not exist: create it (README, "Using your own PostgreSQL"), or ${fix}.`,
      );
  }
  if (
    e.name === 'KnexTimeoutError' ||
    /timeout expired|Connection terminated due to connection timeout/i.test(e.message ?? '')
  ) {
    return new StartupError(
      `Cannot connect to the PostgreSQL in ${setting} (${where}): no answer within 10 s. Check the host, the port and any firewall, or correct ${setting}.`,
    );
  }
  return undefined;
}
