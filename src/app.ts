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
import { currentActor } from './http/current-actor.js';
import type { AppDeps } from './http/deps.js';
import { errorHandler, notFound } from './http/error-handler.js';
import { createRenderer } from './http/render.js';
import { refuseNulInAddress } from './http/refuse-nul.js';
import { noStore, securityHeaders } from './http/security-headers.js';
import { createSessionMiddleware, saveSessionBeforeRedirect } from './http/session.js';
import './http/types.js';
import { analysisRoutes } from './modules/assessments/analysis-routes.js';
import { entryRoutes } from './modules/assessments/entry-routes.js';
import { frameworkRoutes } from './modules/assessments/framework-routes.js';
import { notesRoutes } from './modules/assessments/notes-routes.js';
import { auditRoutes } from './modules/audit/routes.js';
import { groupRoutes } from './modules/pupils/group-routes.js';
import { importRoutes } from './modules/pupils/import-routes.js';
import { pupilRecordRoutes } from './modules/pupils/pupil-routes.js';
import { pupilRoutes } from './modules/pupils/routes.js';
import { adminRoutes } from './modules/tenancy/admin-routes.js';
import { authRoutes } from './modules/tenancy/auth-routes.js';
import { operatorRoutes } from './modules/tenancy/operator-routes.js';
import { PasswordHasher } from './modules/tenancy/passwords.js';

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
  hasher: PasswordHasher;
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
  const hasher = new PasswordHasher({ memoryCost: config.ARGON2_MEMORY_KIB, timeCost: config.ARGON2_TIME_COST });
  const deps: AppDeps = {
    config,
    db,
    logger,
    mailer: opts.mailer,
    hasher,
    renderer,
    sessionSecret: opts.sessionSecret,
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
  });
  app.use(sessions.handler);
  app.use(saveSessionBeforeRedirect);
  app.use(sameOriginOnly(config.publicOrigin));
  // The key of the stateless anonymous CSRF token, and the only paths that take multipart bodies.
  app.locals.csrfKey = crypto
    .createHmac('sha256', opts.sessionSecret)
    .update('waypoint csrf-anonymous key')
    .digest('base64url');
  app.locals.uploadPaths = ['/pupils/import'];
  app.use(csrfProtection);
  app.use(currentActor(db));

  app.use(authRoutes(deps));
  app.use(pupilRoutes(deps));
  app.use(importRoutes(deps));
  app.use(pupilRecordRoutes(deps));
  app.use(groupRoutes(deps));
  app.use(entryRoutes(deps));
  app.use(notesRoutes(deps));
  app.use(analysisRoutes(deps));
  app.use(frameworkRoutes(deps));
  app.use(adminRoutes(deps));
  app.use(operatorRoutes(deps));
  app.use(auditRoutes(deps));

  app.use(notFound);
  app.use(errorHandler({ renderer, logger, db }));

  return {
    app,
    hasher,
    beginShutdown: () => {
      shuttingDown = true;
    },
    close: () => sessions.close(),
  };
}
