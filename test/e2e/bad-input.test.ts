import { expect } from 'chai';
import { type LiveApp, requireChromium, signInPage, startLiveApp } from '../helpers/browser.js';

describe('Browser: a refused live search says why', function () {
  this.timeout(180_000);
  let live: LiveApp;
  before(async function () {
    requireChromium(this);
    live = await startLiveApp();
  });
  after(async () => live?.close());

  it('I4: a search the server refuses (400) replaces the live results with the reason, and a good one brings them back', async () => {
    const context = await live.newContext();
    const page = await context.newPage();
    await signInPage(page, 'senco@oakfield.test');
    await page.goto('/pupils');
    const search = page.getByLabel('Name, UPN or MIS ID');
    await search.fill('x'.repeat(101));
    await page.locator('#pupil-results .error-text').waitFor({ timeout: 10_000 });
    expect(await page.locator('#pupil-results').textContent()).to.contain('100 characters or fewer');
    expect(await search.inputValue(), 'what was typed stays in the box').to.equal('x'.repeat(101));
    await search.fill('a');
    await page.locator('#pupil-results .result-count').waitFor({ timeout: 10_000 });
    expect(await page.locator('#pupil-results .error-text').count()).to.equal(0);
    await context.close();
  });
});
