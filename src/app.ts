import crypto from 'node:crypto';
import compression from 'compression';
import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import type { Config } from './config.js';
import type { Database } from './db/index.js';
import { type Logger, safeUrl } from './logger.js';
import type { Mailer } from './mail/index.js';
import { loadAssets } from './http/assets.js';
import { csrfProtection, sameOriginOnly } from './http/csrf.js';
import { currentActor, type SessionLoader } from './http/current-actor.js';
import type { AppDeps } from './http/deps.js';
import { errorHandler, notFound } from './http/error-handler.js';
import { createRenderer } from './http/render.js';
import { refuseNulInAddress } from './http/refuse-nul.js';
import { noStore, securityHeaders } from './http/security-headers.js';
import { createSessionMiddleware, saveSessionBeforeRedirect } from './http/session.js';
import { assembleModules, type WaypointModule } from './http/module.js';
import './http/types.js';
import { assessmentsModule } from './modules/assessments/index.js';
import * as audit from './modules/audit/index.js';
import { parentsModule } from './modules/parents/index.js';
import { pupilsModule } from './modules/pupils/index.js';
import { sharingModule } from './modules/sharing/index.js';
import * as tenancy from './modules/tenancy/index.js';

/**
 * Every module, once, lowest layer first (the order .dependency-cruiser.cjs layers them). Routers
 * are mounted in this order; navigation is ordered by each entry's own `order`.
 */
export const modules: readonly WaypointModule[] = [
  audit.auditModule,
  tenancy.tenancyModule,
  pupilsModule,
  assessmentsModule,
  sharingModule,
  parentsModule,
];

export interface AppOptions {
  config: Config;
  db: Database;
  logger: Logger;
  mailer: Mailer;
  sessionSecret: string;
}

export interface WaypointApp {
  app: Express;
  /** The password hasher, shared by every sign-in (tests count its calls). */
  hasher: tenancy.PasswordHasher;
  /** Readiness turns 503 from now on (graceful stop, R3). */
  beginShutdown(): void;
  close(): void;
}

/** Builds the Express app: middleware in order, module routers, 404, error handler. */
export function createApp(opts: AppOptions): WaypointApp {
  const { config, db, logger } = opts;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.TRUST_PROXY);
  app.set('query parser', 'simple');

  const assets = loadAssets();
  // Templates are compiled once, except in development where edits should show at once.
  const renderer = createRenderer(assets, config.NODE_ENV !== 'development');
  const hasher = new tenancy.PasswordHasher({
    memoryCost: config.ARGON2_MEMORY_KIB,
    timeCost: config.ARGON2_TIME_COST,
    ...(config.ARGON2_CONCURRENCY ? { concurrency: config.ARGON2_CONCURRENCY } : {}),
  });
  const assembled = assembleModules(modules);
  const deps: AppDeps = {
    config,
    db,
    logger,
    mailer: opts.mailer,
    hasher,
    renderer,
    sessionSecret: opts.sessionSecret,
    people: tenancy.peopleDirectory,
    auditActionLabels: assembled.auditActionLabels,
    organisationCreatedHooks: assembled.organisationCreatedHooks,
    staffGroups: assembled.staffGroups,
    recordNames: assembled.recordNames,
  };
  const sessionLoader: SessionLoader = {
    load: (userId, chosen, meta, preloaded) => tenancy.loadSession(db, userId, chosen, meta, preloaded),
    recordExpiry: (userId, meta, reason) => tenancy.recordExpiry(db, userId, meta, reason),
  };
  let shuttingDown = false;

  app.use((req, _res, next) => {
    req.requestId = crypto.randomUUID();
    next();
  });
  app.use(
    pinoHttp({
      logger,
      genReqId: (req) => (req as express.Request).requestId,
      serializers: {
        req: (req: { method: string; url: string }) => ({ method: req.method, url: safeUrl(req.url) }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      autoLogging: {
        ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url?.startsWith('/assets/') === true,
      },
    }),
  );
  app.use(securityHeaders(config.production));
  app.use(compression());
  app.use(assets.handler);

  // R6: liveness and readiness reveal nothing but their status.
  app.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.type('text').send('ok');
  });
  app.get('/readyz', async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const ready = !shuttingDown && (await db.ping());
    res
      .status(ready ? 200 : 503)
      .type('text')
      .send(ready ? 'ready' : 'not ready');
  });

  app.use(noStore);
  app.use(express.urlencoded({ extended: false, limit: config.BODY_LIMIT, parameterLimit: 2000 }));
  app.use(refuseNulInAddress);
  const sessions = createSessionMiddleware({
    pool: db.sessionPool,
    secret: opts.sessionSecret,
    production: config.production,
    logger,
    // The session and its user's live roles in one round trip (A3 still holds: read on every request).
    read: (sid, nowSeconds) => tenancy.readSession(db, sid, nowSeconds),
  });
  app.use(sessions.handler);
  app.use(saveSessionBeforeRedirect);
  app.use(sameOriginOnly(config.publicOrigin));
  // The key of the stateless anonymous CSRF token, and the only paths that take multipart bodies.
  app.locals.csrfKey = crypto
    .createHmac('sha256', opts.sessionSecret)
    .update('waypoint csrf-anonymous key')
    .digest('base64url');
  app.locals.uploadPaths = assembled.uploadPaths;
  app.use(csrfProtection);
  app.use(currentActor(sessionLoader, assembled.navigation));

  for (const m of modules) for (const router of m.routers(deps)) app.use(router);

  app.use(notFound);
  app.use(errorHandler({ renderer, logger, recordDenial: (actor, denied) => audit.recordDenial(db, actor, denied) }));

  return {
    app,
    hasher,
    beginShutdown: () => {
      shuttingDown = true;
    },
    close: () => sessions.close(),
  };
}
