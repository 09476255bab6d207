import type { Config } from '../config.js';
import type { Database } from '../db/index.js';
import type { Logger } from '../logger.js';
import type { Mailer } from '../mail/index.js';
import type { PasswordHasher } from '../modules/tenancy/passwords.js';
import type { Renderer } from './render.js';

/** What route modules are built from. */
export interface AppDeps {
  config: Config;
  db: Database;
  logger: Logger;
  mailer: Mailer;
  hasher: PasswordHasher;
  renderer: Renderer;
  sessionSecret: string;
}
