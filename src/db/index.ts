import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Actor } from '../policy/actor.js';
import { actorPreludeSql, isUuid, type PlannerSettings, setActorLiteralSql } from './actor-sql.js';
import { collectAtCommit } from './at-commit.js';
import { inlineSessionValues, isSessionId, sessionUserLiteralSql } from './session-read.js';
import { type EmbeddedCluster, startEmbeddedPostgres } from './embedded.js';
import { deriveRuntimePassword, loadLocalSecrets } from './local-secrets.js';
import { migrate } from './migrate.js';
import { beginWith, PgClientWithPrelude } from './actor-client.js';
import { reaching } from './connection-errors.js';
import { StartupError } from '../startup-error.js';
import path from 'node:path';
import {
  assertRuntimeRoleIsConfined,
  provisionEmbedded,
  provisionExternalRuntime,
  urlDatabase,
  urlUser,
  withCredentials,
} from './provision.js';

export type Tx = Knex.Transaction;

/**
 * Runs `sql` as a statement that PostgreSQL prepares once per connection under `name` and can then
 * stop re-planning. For the busiest pages only: with row-level security, planning a query's policies
 * can cost as much as running it. Values stay bound parameters. The policies' actor settings are
 * read when the statement runs, so each transaction still sees only its own actor's rows.
 * One name, one SQL text.
 */
export function prepared<T>(
  trx: Tx,
  name: string,
  sql: string,
  bindings: readonly Knex.RawBinding[],
): Promise<{ rows: T[] }> {
  return trx.raw(sql, bindings).options({ name }) as unknown as Promise<{ rows: T[] }>;
}

// Dates stay strings ('YYYY-MM-DD'): a school date has no time zone and must not shift.
pg.types.setTypeParser(pg.types.builtins.DATE, (v: string) => v);
// Counts and bigint ids fit comfortably in a JS number at our scale.
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number.parseInt(v, 10));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v: string) => Number.parseFloat(v));

export interface ActorTransactionOptions {
  /** Planner settings for this transaction only; they travel with BEGIN. */
  planner?: PlannerSettings;
}

export interface Database {
  /**
   * Runs `work` in one transaction on the runtime role with the actor's settings applied for that
   * transaction only (set_config(..., true)), so a pooled connection never carries an actor onward.
   * Row-level security then filters every query in `work` by this actor.
   */
  withActor<T>(actor: Actor, work: (trx: Tx) => Promise<T>, options?: ActorTransactionOptions): Promise<T>;
  /**
   * Inside an actor's transaction, runs one step as the system actor and then restores the actor.
   * For the few steps an actor's own rights cannot see, e.g. an invitation that must find whether
   * an email already has an account in another school. The caller has already asked the policy.
   */
  asSystem<T>(trx: Tx, actor: Actor, work: () => Promise<T>, schoolId?: string): Promise<T>;
  /**
   * One read as an actor in one round trip, for the lookup every request makes (who is this
   * session's user?). The actor's settings and the query travel as one simple-protocol message,
   * which PostgreSQL runs as one implicit transaction, so the settings hold for this query only
   * and row-level security applies as in `withActor`. That protocol has no parameters, so `$n`
   * placeholders are filled with literals, and only UUIDs are accepted as values.
   */
  readOnce<T>(actor: Actor, sql: string, uuids: string[]): Promise<T[]>;
  /**
   * `readOnce` for the first read of a request, before its user is known: the actor is the stored
   * session's own user (`self`), taken from the session row by the first statement of the message.
   * In `sql`, `$1` is the session id (refused unless it has the shape express-session gives) and
   * `$2` the current time in whole seconds.
   */
  readBySession<T>(sid: string, nowSeconds: number, sql: string): Promise<T[]>;
  /** True while the database answers (readiness). */
  ping(): Promise<boolean>;
  /**
   * A small pg pool on the runtime role for what every request does first: the session store
   * (the session table is outside RLS) and `readOnce`.
   */
  readonly sessionPool: pg.Pool;
  close(): Promise<void>;
}

export { actorSettings } from './actor-sql.js';
export { insertAtCommit } from './at-commit.js';
export type { PlannerSettings } from './actor-sql.js';

/** `sql` with each `$n` replaced by the n-th UUID as a literal; anything but a UUID is refused. */
export function inlineUuids(sql: string, uuids: string[]): string {
  for (const u of uuids) if (!isUuid(u)) throw new TypeError('readOnce takes UUIDs only');
  return sql.replace(/\$(\d+)/g, (_, n: string) => {
    const value = uuids[Number(n) - 1];
    if (value === undefined) throw new TypeError(`no value for $${n}`);
    return pg.escapeLiteral(value);
  });
}

export function connectDatabase(opts: { runtimeUrl: string; poolMax: number; logger: Logger }): Database {
  const runtime = knexFactory({
    client: PgClientWithPrelude,
    connection: {
      connectionString: opts.runtimeUrl,
      // A stuck query or an abandoned transaction must not hold a connection for ever.
      options: '-c statement_timeout=60000 -c idle_in_transaction_session_timeout=60000',
      application_name: 'waypoint',
    },
    pool: { min: 0, max: opts.poolMax },
    acquireConnectionTimeout: 10000,
  });
  const sessionPool = new pg.Pool({
    connectionString: opts.runtimeUrl,
    max: Math.max(3, Math.ceil(opts.poolMax / 2)),
    application_name: 'waypoint-sessions',
    options: '-c statement_timeout=60000',
  });
  sessionPool.on('error', (err) => opts.logger.error({ err }, 'session pool error'));

  return {
    sessionPool,
    async withActor(actor, work, options = {}) {
      // BEGIN carries the actor (and a teacher's pupils, and planner settings); COMMIT carries the
      // inserts deferred to it (insertAtCommit): a request's transaction costs no round trip of its own.
      const atCommit: string[] = [];
      return runtime.transaction(
        (trx) => {
          collectAtCommit(trx, atCommit);
          return work(trx);
        },
        beginWith(actorPreludeSql(actor, options.planner), () => atCommit.splice(0).join('; ')),
      );
    },
    async readOnce<T>(actor: Actor, sql: string, uuids: string[]) {
      const results = (await sessionPool.query(
        `${setActorLiteralSql(actor)}; ${inlineUuids(sql, uuids)}`,
      )) as unknown as pg.QueryResult[];
      return results[1]!.rows as T[];
    },
    async readBySession<T>(sid: string, nowSeconds: number, sql: string) {
      // No stored session has an id of another shape (express-session makes them): none to read.
      if (!isSessionId(sid)) return [];
      const results = (await sessionPool.query(
        `${sessionUserLiteralSql(sid, nowSeconds)}; ${inlineSessionValues(sql, sid, nowSeconds)}`,
      )) as unknown as pg.QueryResult[];
      return results[1]!.rows as T[];
    },
    async asSystem(trx, actor, work, schoolId) {
      await trx.raw(
        setActorLiteralSql({ kind: 'system', purpose: 'job', meta: actor.meta, ...(schoolId ? { schoolId } : {}) }),
      );
      try {
        return await work();
      } finally {
        await trx.raw(setActorLiteralSql(actor));
      }
    },
    async ping() {
      // Readiness must answer quickly even when the database hangs rather than refuses.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), 2000);
      });
      try {
        return await Promise.race([
          sessionPool.query('select 1').then(
            () => true,
            () => false,
          ),
          timeout,
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await Promise.allSettled([runtime.destroy(), sessionPool.end()]);
    },
  };
}

export interface PreparedDatabase {
  ownerUrl: string;
  runtimeUrl: string;
  runtimeRole: string;
  embedded?: EmbeddedCluster;
  /** Stops the embedded cluster, if this process started one. */
  stop(): Promise<void>;
}

/**
 * Gets a database ready to serve: the embedded PostgreSQL under DATA_DIR, or the external one in
 * DATABASE_URL; creates roles where it may, runs migrations as the owner, applies the runtime
 * grants, and checks the runtime role cannot bypass row-level security.
 */
export async function prepareDatabase(config: Config, logger: Logger): Promise<PreparedDatabase> {
  let embedded: EmbeddedCluster | undefined;
  try {
    const urls = config.DATABASE_URL
      ? await externalUrls(config, logger)
      : await embeddedUrls(config, logger, (c) => (embedded = c));
    // Where a failure to connect is reported: the setting the user would correct.
    const ownerSetting = embedded ? 'embedded' : 'DATABASE_URL';
    const runtimeSetting = embedded
      ? 'embedded'
      : config.RUNTIME_DATABASE_URL
        ? 'RUNTIME_DATABASE_URL'
        : 'DATABASE_URL';
    const runtimeRole = urlUser(urls.runtimeUrl);
    if (runtimeRole === urlUser(urls.ownerUrl)) {
      throw new StartupError(
        'RUNTIME_DATABASE_URL uses the same role as DATABASE_URL. The runtime role must not own the tables; Waypoint will not start with it.',
      );
    }
    const owner = knexFactory({
      client: 'pg',
      connection: { connectionString: urls.ownerUrl, connectionTimeoutMillis: 10_000 },
      pool: { min: 0, max: 2 },
    });
    try {
      const applied = await reaching(ownerSetting, urls.ownerUrl, () => migrate(owner, runtimeRole));
      if (applied.length) logger.info({ migrations: applied }, 'migrations applied');
    } finally {
      await owner.destroy();
    }
    await reaching(runtimeSetting, urls.runtimeUrl, () => assertRuntimeRoleIsConfined(urls.runtimeUrl));
    const started = embedded;
    return {
      ...urls,
      runtimeRole,
      ...(started ? { embedded: started } : {}),
      async stop() {
        await started?.stop();
      },
    };
  } catch (err) {
    // A failed start leaves no PostgreSQL running behind it.
    await embedded?.stop();
    throw err;
  }
}

async function externalUrls(config: Config, logger: Logger): Promise<{ ownerUrl: string; runtimeUrl: string }> {
  const ownerUrl = config.DATABASE_URL!;
  if (config.RUNTIME_DATABASE_URL) return { ownerUrl, runtimeUrl: config.RUNTIME_DATABASE_URL };
  const secret = config.SESSION_SECRET ?? loadLocalSecrets(config.DATA_DIR).sessionSecret;
  const roleName = `${urlDatabase(ownerUrl)}_app`
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 63);
  const runtime = await reaching('DATABASE_URL', ownerUrl, () =>
    provisionExternalRuntime(ownerUrl, roleName, deriveRuntimePassword(secret, roleName)),
  );
  logger.info({ role: roleName }, 'runtime database role ready');
  return { ownerUrl, runtimeUrl: runtime.url };
}

/** The embedded PostgreSQL under DATA_DIR/pg; `started` hears of it at once, so a later failure can stop it. */
async function embeddedUrls(
  config: Config,
  logger: Logger,
  started: (c: EmbeddedCluster) => void,
): Promise<{ ownerUrl: string; runtimeUrl: string }> {
  const secrets = loadLocalSecrets(config.DATA_DIR);
  const embedded = await startEmbeddedPostgres({
    dataDir: path.join(config.DATA_DIR, 'pg'),
    port: config.EMBEDDED_PG_PORT,
    password: secrets.postgresPassword,
    logger,
  });
  started(embedded);
  const roles = {
    database: 'waypoint',
    owner: { name: 'waypoint_owner', password: secrets.ownerPassword },
    runtime: { name: 'waypoint_app', password: secrets.runtimePassword },
    backup: { name: 'waypoint_backup', password: secrets.backupPassword },
  };
  await reaching('embedded', embedded.superuserUrl(), () => provisionEmbedded(embedded.superuserUrl(), roles));
  return {
    ownerUrl: withCredentials(embedded.superuserUrl(), roles.owner.name, roles.owner.password, roles.database),
    runtimeUrl: withCredentials(embedded.superuserUrl(), roles.runtime.name, roles.runtime.password, roles.database),
  };
}
