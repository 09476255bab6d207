import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AxeBuilder } from '@axe-core/playwright';
import { expect } from 'chai';
import { chromium, type Browser as Chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { startTestApp, type TestApp } from './app.js';

/** Debian's Chromium (CI installs it: `apt-get install -y chromium`). */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function chromiumAvailable(): boolean {
  return fs.existsSync(chromiumPath);
}

/**
 * Use in a describe's before hook: says loudly that the browser suite cannot run and marks it
 * skipped (pending), rather than passing silently.
 */
export function requireChromium(ctx: Mocha.Context): void {
  if (chromiumAvailable()) return;
  const line = '!'.repeat(78);
  console.warn(
    `\n${line}\n  BROWSER TESTS SKIPPED: no Chromium at ${chromiumPath}.\n  Install it with: apt-get install -y chromium   (CI does this in .ci/run)\n${line}\n`,
  );
  ctx.skip();
}

/** The real app on a real port (127.0.0.1 only), for a real browser. */
export interface LiveApp {
  app: TestApp;
  origin: string;
  chromium: Chromium;
  newContext(opts?: { javaScriptEnabled?: boolean }): Promise<BrowserContext>;
  close(): Promise<void>;
}

export async function startLiveApp(): Promise<LiveApp> {
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const origin = `http://127.0.0.1:${port}`;
  const app = await startTestApp({ PUBLIC_ORIGIN: origin });
  const server = http.createServer(app.waypoint.app);
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumFlags });
  return {
    app,
    origin,
    chromium: browser,
    newContext: (opts = {}) => browser.newContext({ baseURL: origin, ...opts }),
    async close() {
      await browser.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await app.close();
    },
  };
}

export async function signInPage(page: Page, email: string, password = 'waypoint-demo-password'): Promise<void> {
  await page.goto('/sign-in');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  // Wait for the sign-in's own navigation: the page is already 'loaded' when the click returns,
  // and a goto() started before the response arrives would cancel it and lose the cookie.
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/sign-in'),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  // A refused sign-in says why, instead of leaving a timeout to guess from.
  if (answer.status() !== 303) {
    const why = await page
      .locator('.error-summary, main')
      .first()
      .textContent()
      .catch(() => '');
    throw new Error(
      `sign-in as ${email} answered ${answer.status()}: ${(why ?? '').replace(/\s+/g, ' ').trim().slice(0, 300)}`,
    );
  }
  await page.waitForURL((url) => url.pathname !== '/sign-in', { waitUntil: 'load' });
}

/**
 * Clicks something that submits a form and waits for the page that answers, so what follows
 * reads the new page and not the old one that is still 'loaded' when the click returns.
 */
export async function submitAndWait(page: Page, button: Locator): Promise<void> {
  await Promise.all([page.waitForEvent('framenavigated', (frame) => frame === page.mainFrame()), button.click()]);
  await page.waitForLoadState('load');
}

/** Clicks a link and waits until the browser is at a URL matching `to`. */
export async function followAndWait(page: Page, link: Locator, to: RegExp): Promise<void> {
  await Promise.all([page.waitForURL(to, { waitUntil: 'load' }), link.click()]);
}

/** axe-core on the current page: no serious or critical WCAG 2.2 AA violation. */
export async function expectNoSeriousAxeViolations(page: Page, label: string): Promise<void> {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])
    .analyze();
  const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    serious.map((v) => `${label}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
  ).to.deep.equal([]);
}
