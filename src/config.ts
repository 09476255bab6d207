import path from 'node:path';
import { z } from 'zod';
import { projectRoot } from './paths.js';

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const postgresUrl = z
  .string()
  .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// or postgresql:// URL');

/**
 * Every setting the app reads from the environment. One schema, parsed once at
 * start-up; a bad value stops start-up with the variable's name.
 */
const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    /** The address users type, used in emailed links and the Origin check. */
    PUBLIC_ORIGIN: z.url().optional(),
    DATABASE_URL: postgresUrl.optional(),
    RUNTIME_DATABASE_URL: postgresUrl.optional(),
    /** The backup role (LOGIN, BYPASSRLS, pg_read_all_data) for `npm run backup` with DATABASE_URL (R2). */
    BACKUP_DATABASE_URL: postgresUrl.optional(),
    DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
    SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    DATA_DIR: z.string().min(1).default(path.join(projectRoot, '.data')),
    EMBEDDED_PG_PORT: z.coerce.number().int().min(1024).max(65535).default(54320),
    /** Seed the demo organisations into an empty database (never in production). */
    SEED_DEMO: booleanFlag.optional(),
    /** Number of proxy hops to trust for X-Forwarded-* (production sits behind TLS termination). */
    TRUST_PROXY: z.coerce.number().int().min(0).max(10).default(0),
    SMTP_URL: z.string().url().optional(),
    MAIL_FROM: z.string().min(3).default('Waypoint <no-reply@waypoint.invalid>'),
    OUTBOX_DIR: z.string().min(1).optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    BODY_LIMIT: z
      .string()
      .regex(/^\d+(kb|mb)$/i, 'must look like 100kb or 1mb')
      .default('100kb'),
    /** Argon2id memory cost in KiB; AU3 sets the floor. */
    ARGON2_MEMORY_KIB: z.coerce.number().int().min(19456).default(19456),
    ARGON2_TIME_COST: z.coerce.number().int().min(2).default(2),
    /** Password hashes at once (each keeps a core busy); unset: one fewer than the cores, at least 1. */
    ARGON2_CONCURRENCY: z.coerce.number().int().min(1).max(64).optional(),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV !== 'production') return;
    if (!env.SESSION_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['SESSION_SECRET'], message: 'is required when NODE_ENV=production' });
    }
    if (!env.DATABASE_URL) {
      ctx.addIssue({ code: 'custom', path: ['DATABASE_URL'], message: 'is required when NODE_ENV=production' });
    }
    if (env.SEED_DEMO) {
      ctx.addIssue({
        code: 'custom',
        path: ['SEED_DEMO'],
        message: 'demo data is never seeded when NODE_ENV=production',
      });
    }
    if (env.PUBLIC_ORIGIN && !env.PUBLIC_ORIGIN.startsWith('https://')) {
      ctx.addIssue({ code: 'custom', path: ['PUBLIC_ORIGIN'], message: 'must be https:// when NODE_ENV=production' });
    }
  });

export type RawConfig = z.infer<typeof schema>;

export interface Config extends Readonly<RawConfig> {
  readonly production: boolean;
  readonly publicOrigin: string;
  readonly outboxDir: string;
  readonly seedDemo: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment (process.env by default). Throws ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Treat empty strings as unset so `FOO= npm start` behaves like no FOO at all.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`),
    );
  }
  const raw = parsed.data;
  const production = raw.NODE_ENV === 'production';
  return Object.freeze({
    ...raw,
    production,
    publicOrigin: raw.PUBLIC_ORIGIN ?? `http://localhost:${raw.PORT}`,
    outboxDir: raw.OUTBOX_DIR ?? path.join(raw.DATA_DIR, 'outbox'),
    seedDemo: production ? false : (raw.SEED_DEMO ?? true),
  });
}
