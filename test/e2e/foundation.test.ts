import { expect } from 'chai';
import {
  expectNoSeriousAxeViolations,
  followAndWait,
  type LiveApp,
  requireChromium,
  signInPage,
  startLiveApp,
  submitAndWait,
} from '../helpers/browser.js';

describe('Browser: foundation flows in real Chromium', function () {
  this.timeout(120_000);
  let live: LiveApp;

  before(async function () {
    requireChromium(this);
    live = await startLiveApp();
  });
  after(async () => live?.close());

  for (const javaScriptEnabled of [true, false]) {
    it(`the demo teacher signs in, sees their class and signs out (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, async () => {
      const context = await live.newContext({ javaScriptEnabled });
      const page = await context.newPage();
      await signInPage(page, 'teacher@oakfield.test');
      expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('Oakfield Primary School');
      await followAndWait(page, page.getByRole('link', { name: '3 Oak' }), /\/groups\/[0-9a-f-]{36}$/);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('3 Oak');
      expect(await page.locator('tbody tr').count()).to.equal(30);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL('**/signed-out');
      expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('You have signed out');
      await page.goto('/');
      expect(new URL(page.url()).pathname).to.equal('/sign-in');
      await context.close();
    });
  }

  it('P17: exactly one cookie is set, signed in or not', async () => {
    const context = await live.newContext();
    const page = await context.newPage();
    await page.goto('/sign-in');
    // Nothing is kept for an anonymous visitor, so no cookie at all until there is.
    expect((await context.cookies()).map((c) => c.name)).to.deep.equal([]);
    await signInPage(page, 'admin@oakfield.test');
    for (const path of ['/', '/staff', '/settings', '/audit', '/account']) await page.goto(path);
    const cookies = await context.cookies();
    expect(cookies.map((c) => c.name)).to.deep.equal(['waypoint']);
    expect(cookies[0]).to.include({ httpOnly: true, sameSite: 'Lax' });
    expect(await page.evaluate('Object.keys(window.localStorage).length')).to.equal(0);
    await context.close();
  });

  it('P10: no request leaves the origin', async () => {
    const context = await live.newContext();
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await signInPage(page, 'admin@oakfield.test');
    for (const path of ['/', '/staff', '/staff/invite', '/settings', '/account', '/audit']) await page.goto(path);
    await page.getByLabel('Action').selectOption('auth.sign_in');
    await page.waitForLoadState('networkidle');
    expect(requests.length).to.be.greaterThan(8);
    expect(requests.filter((u) => !u.startsWith(live.origin))).to.deep.equal([]);
    await context.close();
  });

  it('the audit filters narrow the results with htmx, and the URL keeps the filter', async () => {
    const context = await live.newContext();
    const page = await context.newPage();
    await signInPage(page, 'admin@oakfield.test');
    await page.goto('/audit');
    const before = await page.locator('#audit-results tbody tr').count();
    await page.getByLabel('Action').selectOption('auth.sign_in');
    await page.waitForURL(/action=auth.sign_in/);
    await page.waitForLoadState('networkidle');
    const rows = await page.locator('#audit-results tbody tr td:nth-child(3)').allTextContents();
    expect(rows.length).to.be.greaterThan(0);
    expect(rows.every((t) => t.trim() === 'Signed in')).to.equal(true);
    expect(before).to.be.at.least(rows.length);
    expect(await page.locator('h1').count(), 'only the results were swapped').to.equal(1);
    await context.close();
  });

  it('axe-core finds no serious or critical problem on the sign-in, home, class, audit, staff and settings pages', async () => {
    const context = await live.newContext();
    const page = await context.newPage();
    await page.goto('/sign-in');
    await expectNoSeriousAxeViolations(page, 'sign-in');
    await submitAndWait(page, page.getByRole('button', { name: 'Sign in' }));
    await expectNoSeriousAxeViolations(page, 'sign-in with errors');
    await signInPage(page, 'admin@oakfield.test');
    for (const path of ['/', '/audit', '/staff', '/staff/invite', '/settings', '/account']) {
      await page.goto(path);
      await expectNoSeriousAxeViolations(page, path);
    }
    await page.goto('/');
    const group = await page.locator('a[href^="/groups/"]').first().getAttribute('href');
    await page.goto(group!);
    await expectNoSeriousAxeViolations(page, 'class page');
    await context.close();
  });

  it('keyboard: the skip link is the first stop and moves focus to the main content', async () => {
    const context = await live.newContext();
    const page = await context.newPage();
    await signInPage(page, 'teacher@oakfield.test');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement && document.activeElement.textContent')).to.equal(
      'Skip to main content',
    );
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).to.equal('main');
    await context.close();
  });
});
