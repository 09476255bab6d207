import http from 'node:http';
import { createApp } from './app.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { connectDatabase, prepareDatabase } from './db/index.js';
import { loadLocalSecrets } from './db/local-secrets.js';
import { demoAccounts, demoPassword, seedDemo } from './demo/seed.js';
import { answerClientErrors } from './http/client-errors.js';
import { createLogger, type Logger } from './logger.js';
import { assertPortFree, listen } from './listen.js';
import { StartupError, startupFailureLine } from './startup-error.js';
import { createMailer } from './mail/index.js';
import { PasswordHasher } from './modules/tenancy/index.js';

/**
 * Start-up: config → database (embedded, or DATABASE_URL) → migrate → demo seed (development
 * only) → app → listen. A failure prints one line saying what to fix and exits non-zero (78 for a
 * bad configuration), with no stack trace, after stopping what it had started.
 * SIGTERM/SIGINT: readiness turns 503, the server stops accepting, in-flight requests finish, pools
 * close, the embedded Postgres stops, exit 0 (R3).
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(new StartupError(`Invalid configuration: ${err.problems.join('; ')}`, 78));
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL);
  const undo: Array<() => Promise<void>> = [];
  let failing = false;
  // One line for whatever goes wrong before Waypoint is ready, an error thrown by an event emitter included.
  const failStart = async (err: unknown) => {
    if (failing) return;
    failing = true;
    logger.debug({ err }, 'start-up failed');
    for (const step of undo.reverse()) await step().catch(() => undefined);
    fail(err);
  };
  // Stopped while starting: exiting stops the embedded Postgres too (its 'exit' hook).
  const interrupted = (signal: NodeJS.Signals) => {
    console.error(`Waypoint stopped by ${signal} while starting.`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('uncaughtException', failStart);
  process.on('unhandledRejection', failStart);
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', interrupted);
  try {
    await start(config, logger, undo);
  } catch (err) {
    await failStart(err);
  }
  process.off('uncaughtException', failStart);
  process.off('unhandledRejection', failStart);
  process.off('SIGINT', interrupted);
  process.off('SIGTERM', interrupted);
}

function fail(err: unknown): never {
  console.error(`Waypoint could not start: ${startupFailureLine(err)}`);
  process.exit(err instanceof StartupError ? err.exitCode : 1);
}

async function start(config: Config, logger: Logger, undo: Array<() => Promise<void>>): Promise<void> {
  const started = Date.now();
  // Before minutes of database set-up, so a port in use is reported at once.
  await assertPortFree(config.PORT, config.HOST);
  const sessionSecret = config.SESSION_SECRET ?? loadLocalSecrets(config.DATA_DIR).sessionSecret;

  const prepared = await prepareDatabase(config, logger);
  undo.push(() => prepared.stop());
  const db = connectDatabase({ runtimeUrl: prepared.runtimeUrl, poolMax: config.DB_POOL_MAX, logger });
  undo.push(() => db.close());
  const mailer = createMailer({
    smtpUrl: config.SMTP_URL,
    from: config.MAIL_FROM,
    outboxDir: config.outboxDir,
    logger,
  });

  if (config.seedDemo) {
    const hasher = new PasswordHasher({ memoryCost: config.ARGON2_MEMORY_KIB, timeCost: config.ARGON2_TIME_COST });
    if (await seedDemo(db, hasher)) logger.info('demo data seeded');
  }

  const waypoint = createApp({ config, db, logger, mailer, sessionSecret });
  const server = http.createServer({ requestTimeout: 60_000, headersTimeout: 20_000 }, waypoint.app);
  server.keepAliveTimeout = 5_000;
  answerClientErrors(server, config.production);
  await listen(server, config.PORT, config.HOST);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  if (config.seedDemo) {
    const accounts = await demoAccounts(db);
    if (accounts.length) {
      const width = Math.max(...accounts.map((a) => a.email.length));
      console.log(
        `\nWaypoint is running at http://localhost:${port}\n\nDemo sign-ins (password for all: ${demoPassword}):`,
      );
      for (const a of accounts) console.log(`  ${a.email.padEnd(width)}  ${a.roles}`);
      console.log('');
    }
  }
  logger.info({ port, ms: Date.now() - started }, 'Waypoint is ready');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: finishing requests in flight');
    waypoint.beginShutdown();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Keep-alive connections are closed as soon as they fall idle; stragglers are cut after 25 s.
      const sweep = setInterval(() => server.closeIdleConnections(), 100);
      const deadline = setTimeout(() => server.closeAllConnections(), 25_000);
      server.once('close', () => {
        clearInterval(sweep);
        clearTimeout(deadline);
      });
    });
    waypoint.close();
    mailer.close();
    await db.close();
    await prepared.stop();
    logger.info('stopped cleanly');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

void main();
