import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import supertest from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { createApp, type WaypointApp } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createMailer } from '../../src/mail/index.js';
import { freshDatabase, type TestDatabase, testConfig } from './cluster.js';

export const demoPassword = 'waypoint-demo-password';
export const origin = 'http://127.0.0.1';

/** A real Waypoint app on a fresh copy of the demo database, with its logs and outbox captured. */
export interface TestApp {
  waypoint: WaypointApp;
  database: TestDatabase;
  config: Config;
  logs: string[];
  outboxDir: string;
  /** A new cookie-keeping client, as if from a new browser. */
  browser(): Browser;
  /** A browser signed in as this demo account (and, if given, working in that context). */
  signIn(email: string, password?: string): Promise<Browser>;
  close(): Promise<void>;
}

export class Browser {
  constructor(readonly agent: TestAgent) {}

  get(url: string) {
    return this.agent.get(url);
  }

  /** The CSRF token from a page's forms (the synchroniser token stored in the session). */
  async csrf(page = '/account'): Promise<string> {
    const res = await this.agent.get(page);
    const token = /name="_csrf" value="([^"]+)"/.exec(res.text)?.[1];
    if (!token) throw new Error(`No CSRF token on ${page} (status ${res.status})`);
    return token;
  }

  /** POSTs a form as a browser would: with the page's CSRF token and our Origin. */
  async post(
    url: string,
    form: Record<string, string | string[] | undefined> = {},
    opts: { tokenFrom?: string; headers?: Record<string, string> } = {},
  ) {
    const token = await this.csrf(opts.tokenFrom ?? '/account');
    return this.postRaw(url, { _csrf: token, ...form }, opts.headers);
  }

  postRaw(url: string, form: Record<string, string | string[] | undefined>, headers: Record<string, string> = {}) {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) {
      if (v === undefined) continue;
      for (const item of Array.isArray(v) ? v : [v]) body.append(k, item);
    }
    return this.agent
      .post(url)
      .set('Origin', origin)
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .set(headers)
      .send(body.toString());
  }
}

export async function startTestApp(overrides: Record<string, string> = {}, existing?: TestDatabase): Promise<TestApp> {
  const database = existing ?? (await freshDatabase());
  const outboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'waypoint-outbox-'));
  const config = testConfig({ OUTBOX_DIR: outboxDir, ...overrides });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const logger = createLogger('debug', sink);
  const mailer = createMailer({ from: config.MAIL_FROM, outboxDir, logger });
  const waypoint = createApp({
    config,
    db: database.db,
    logger,
    mailer,
    sessionSecret: 'test-session-secret-of-enough-length-123',
  });
  const browser = () => new Browser(supertest.agent(waypoint.app));
  return {
    waypoint,
    database,
    config,
    logs,
    outboxDir,
    browser,
    async signIn(email, password = demoPassword) {
      const b = browser();
      const token = await b.csrf('/sign-in');
      const res = await b.postRaw('/sign-in', { _csrf: token, email, password });
      if (res.status !== 303) throw new Error(`Sign-in as ${email} failed with ${res.status}`);
      return b;
    },
    async close() {
      waypoint.close();
      if (!existing) await database.drop();
      fs.rmSync(outboxDir, { recursive: true, force: true });
    },
  };
}

/** The newest email in the outbox (to one address, if given), as text. */
export function latestMail(outboxDir: string, to?: string): string {
  const files = fs
    .readdirSync(outboxDir)
    .filter((f) => f.endsWith('.eml'))
    .sort();
  const mails = files
    .map((f) => fs.readFileSync(path.join(outboxDir, f), 'utf8'))
    .filter((m) => !to || m.includes(`To: ${to}`));
  if (!mails.length) throw new Error(to ? `No email to ${to} in the outbox` : 'The outbox is empty');
  return mails.at(-1)!;
}

/** The first link in an email to this path prefix. Undoes quoted-printable soft line breaks. */
export function linkIn(mail: string, prefix: string): string {
  const body = mail.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const match = new RegExp(`https?://[^\\s]+(${prefix}[^\\s]+)`).exec(body);
  if (!match) throw new Error(`No ${prefix} link in the email`);
  return match[1]!;
}
