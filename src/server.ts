import http from 'node:http';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { connectDatabase, prepareDatabase } from './db/index.js';
import { loadLocalSecrets } from './db/local-secrets.js';
import { demoAccounts, demoPassword, seedDemo } from './demo/seed.js';
import { createLogger } from './logger.js';
import { answerClientErrors } from './http/client-errors.js';
import { createMailer } from './mail/index.js';
import { PasswordHasher } from './modules/tenancy/passwords.js';

/**
 * Start-up: config → database (embedded, or DATABASE_URL) → migrate → demo seed (development
 * only) → app → listen. SIGTERM/SIGINT: readiness turns 503, the server stops accepting, in-flight
 * requests finish, pools close, the embedded Postgres stops, exit 0 (R3).
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78);
    }
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL);
  const started = Date.now();
  const sessionSecret = config.SESSION_SECRET ?? loadLocalSecrets(config.DATA_DIR).sessionSecret;

  const prepared = await prepareDatabase(config, logger);
  const db = connectDatabase({ runtimeUrl: prepared.runtimeUrl, poolMax: config.DB_POOL_MAX, logger });
  const mailer = createMailer({ smtpUrl: config.SMTP_URL, from: config.MAIL_FROM, outboxDir: config.outboxDir, logger });

  if (config.seedDemo) {
    const hasher = new PasswordHasher({ memoryCost: config.ARGON2_MEMORY_KIB, timeCost: config.ARGON2_TIME_COST });
    if (await seedDemo(db, hasher)) logger.info('demo data seeded');
  }

  const waypoint = createApp({ config, db, logger, mailer, sessionSecret });
  const server = http.createServer({ requestTimeout: 60_000, headersTimeout: 20_000 }, waypoint.app);
  server.keepAliveTimeout = 5_000;
  answerClientErrors(server, config.production);
  await new Promise<void>((resolve) => server.listen(config.PORT, config.HOST, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  if (config.seedDemo) {
    const accounts = await demoAccounts(db);
    if (accounts.length) {
      const width = Math.max(...accounts.map((a) => a.email.length));
      console.log(`\nWaypoint is running at http://localhost:${port}\n\nDemo sign-ins (password for all: ${demoPassword}):`);
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

main().catch((err) => {
  console.error('Waypoint could not start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
