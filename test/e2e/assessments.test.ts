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
import type { Route } from 'playwright-core';

describe('Browser: recording and reading assessments in real Chromium', function () {
  this.timeout(180_000);
  let live: LiveApp;
  let groupId: string;

  before(async function () {
    requireChromium(this);
    live = await startLiveApp();
    const { su } = live.app.database;
    const school = await su('organisations').where({ name: 'Oakfield Primary School' }).first();
    groupId = (await su('groups').where({ school_id: school.id, name: '3 Oak' }).first()).id;
  });
  after(async () => live?.close());

  it('grid entry with JavaScript: choosing a level saves the row at once and shows it saved', async () => {
    const context = await live.newContext();
    const page = await context.newPage();
    await signInPage(page, 'teacher@oakfield.test');
    await page.goto(`/groups/${groupId}/grid`);
    const row = page.locator('tbody tr').nth(3);
    const pupilId = (await row.getAttribute('id'))!.replace('row-', '');
    const select = row.locator('select').nth(2);
    const current = await select.inputValue();
    const options = await select
      .locator('option')
      .evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value));
    const next = options.find((v) => v && v !== current)!;
    await select.focus();
    await select.selectOption(next);
    await page.locator(`#row-${pupilId} .saved`).waitFor();
    expect(await page.locator(`#row-${pupilId} .row-status`).textContent()).to.contain('Saved');
    const { su } = live.app.database;
    const item = (await select.getAttribute('name'))!.split(':')[2];
    const stored = await su('assessment_scores')
      .where({ pupil_id: pupilId, item_id: item })
      .orderBy('recorded_at', 'desc')
      .first();
    expect(stored.level_id).to.equal(next);
    // Keyboard: Tab moves to the next cell of the same row.
    await page.locator(`#row-${pupilId} select`).first().focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement && document.activeElement.name')).to.match(
      new RegExp(`^l:${pupilId}:`),
    );
    await context.close();
  });

  it('grid entry with JavaScript: a row that cannot be saved says so and keeps the choice (server error, lost connection, signed out)', async () => {
    const context = await live.newContext();
    const page = await context.newPage();
    await signInPage(page, 'teacher@oakfield.test');
    await page.goto(`/groups/${groupId}/grid`);
    const row = page.locator('tbody tr').nth(4);
    const pupilId = (await row.getAttribute('id'))!.replace('row-', '');
    const select = row.locator('select').first();
    const values = (
      await select.locator('option').evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value))
    ).filter(Boolean);
    const status = page.locator(`#row-${pupilId} .row-status`);
    const cases: [string, (route: Route) => Promise<void>, RegExp][] = [
      [
        'server error',
        (route) => route.fulfill({ status: 500, contentType: 'text/html', body: '<p>boom</p>' }),
        /Not saved: something went wrong/,
      ],
      ['no connection', (route) => route.abort('internetdisconnected'), /Not saved: no connection/],
    ];
    for (const [label, handler, message] of cases) {
      await page.route(`**/grid/rows/${pupilId}`, handler);
      const current = await select.inputValue();
      const target = values.find((v) => v !== current)!;
      await select.selectOption(target);
      await page.locator(`#row-${pupilId} .error-text`).waitFor();
      expect(await status.textContent(), label).to.match(message);
      expect(await select.inputValue(), `${label}: the choice is kept`).to.equal(target);
      await page.unroute(`**/grid/rows/${pupilId}`);
      await page.evaluate(`document.querySelector('#row-${pupilId}').classList.remove('row-problem')`);
    }
    await context.clearCookies();
    const before = await select.inputValue();
    await select.selectOption(values.find((v) => v !== before)!);
    // Without a session the form's token no longer matches: refused, and the row says to reload.
    await page.locator(`#row-${pupilId} .row-status`, { hasText: 'Not saved. Reload the page' }).waitFor();
    expect(await page.locator('h1').count(), 'nothing else was swapped in').to.equal(1);
    await context.close();
  });

  /** Whether an element's box lies inside the grid's scroll box and is the thing drawn at its centre (not covered). */
  const inViewAndOnTop = (selector: string) =>
    `(() => {
      const el = document.querySelector(${JSON.stringify(selector)});
      const box = document.querySelector('.grid-wrap').getBoundingClientRect();
      const r = el.getBoundingClientRect();
      const first = el.getClientRects()[0] || r;
      const inside = r.left >= box.left - 1 && r.right <= box.right + 1 && r.top >= box.top - 1 && r.bottom <= box.bottom + 1
        && r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth;
      const hit = document.elementFromPoint(first.left + first.width / 2, first.top + first.height / 2);
      return inside && !!hit && (el === hit || el.contains(hit));
    })()`;

  for (const [label, viewport] of [
    ['1280 px', { width: 1280, height: 800 }],
    ['200% zoom', { width: 640, height: 400 }],
  ] as const) {
    it(`issue 15 item 1: at ${label} the grid keeps names, headings and each row's saved state in view wherever it scrolls`, async () => {
      const context = await live.newContext();
      const page = await context.newPage();
      await page.setViewportSize(viewport);
      await signInPage(page, 'teacher@oakfield.test');
      await page.goto(`/groups/${groupId}/grid`);
      const row = page.locator('tbody tr[id^="row-"]').nth(12);
      const pupilId = (await row.getAttribute('id'))!.replace('row-', '');
      const select = row.locator('select').nth(4);
      await select.selectOption((await select.locator('option').nth(3).getAttribute('value'))!);
      await page.locator(`#row-${pupilId} .saved`).waitFor();
      // Scroll the grid to its far right and well down: the corner a teacher reaches on the last domain.
      await page.evaluate(
        `(() => { const w = document.querySelector('.grid-wrap'); w.scrollIntoView(); w.scrollLeft = w.scrollWidth; w.scrollTop = document.querySelector('#row-${pupilId}').offsetTop - 120; })()`,
      );
      const wrapScrolls = await page.evaluate(
        `(() => { const w = document.querySelector('.grid-wrap'); return [w.scrollLeft > 0, w.scrollTop > 0]; })()`,
      );
      expect(wrapScrolls, 'the grid scrolls both ways inside its box').to.deep.equal([true, true]);
      expect(await page.evaluate(inViewAndOnTop(`#row-${pupilId} th a`)), 'the pupil’s name').to.equal(true);
      expect(await page.evaluate(inViewAndOnTop('.grid thead th:nth-child(9)')), 'the last domain’s heading').to.equal(
        true,
      );
      expect(await page.evaluate(inViewAndOnTop('.grid thead th:first-child')), 'the Pupil heading').to.equal(true);
      expect(await page.evaluate(inViewAndOnTop(`#row-${pupilId} .saved`)), 'Saved on the row').to.equal(true);
      // Keyboard: tabbing back to the first domain brings it out from under the sticky name column.
      await row.locator('select').first().focus();
      expect(await page.evaluate(inViewAndOnTop(`#row-${pupilId} select`)), 'the focused cell').to.equal(true);
      await context.close();
    });
  }

  it('issue 15 item 2: with JavaScript a prompt appears beside the row, is announced, and focus stays in the grid', async () => {
    const context = await live.newContext();
    const page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 800 });
    await signInPage(page, 'teacher@oakfield.test');
    await page.goto(`/groups/${groupId}/grid`);
    const row = page.locator('tbody tr[id^="row-"]').nth(20);
    const pupilId = (await row.getAttribute('id'))!.replace('row-', '');
    const select = row.locator('select').first();
    const levelOf = async (n: number) => (await select.locator('option').nth(n).getAttribute('value'))!;
    // Choose a level and wait for that row's save to come back.
    const choose = async (cell: number, level: number) =>
      Promise.all([
        page.waitForResponse((r) => r.url().endsWith(`/grid/rows/${pupilId}`)),
        row
          .locator('select')
          .nth(cell)
          .selectOption(await levelOf(level)),
      ]);
    for (const cell of [0, 1])
      if ((await row.locator('select').nth(cell).inputValue()) === (await levelOf(1))) await choose(cell, 3);
    await select.focus();
    await choose(0, 1);
    const prompt = page.locator(`#concern-row-${pupilId}`);
    await prompt.waitFor();
    expect(
      await page.evaluate(`document.querySelector('#row-${pupilId}').nextElementSibling.id`),
      'the prompt is the row straight after',
    ).to.equal(`concern-row-${pupilId}`);
    expect(await prompt.locator('[role="alert"]').count(), 'announced as an alert').to.equal(1);
    expect(await prompt.textContent()).to.contain('Please consider whether this is a safeguarding concern');
    expect(await page.locator('#concerns').count(), 'nothing at the top of the page').to.equal(0);
    const visible = await page.evaluate(`(() => {
      const r = document.querySelector('#concern-row-${pupilId} .concern').getBoundingClientRect();
      const own = document.querySelector('#row-${pupilId}').getBoundingClientRect();
      return r.top >= 0 && r.top < window.innerHeight && own.bottom > 0 && own.top < window.innerHeight;
    })()`);
    expect(visible, 'the prompt and its row are both on screen').to.equal(true);
    expect(await page.evaluate('document.activeElement && document.activeElement.name')).to.equal(
      await select.getAttribute('name'),
    );
    await expectNoSeriousAxeViolations(page, 'grid with a prompt');
    // Choosing again for the same pupil replaces the prompt rather than adding a second.
    await choose(0, 3);
    await choose(1, 1);
    const secondDomain = (await page.locator('.grid thead th').nth(2).textContent())!;
    await page.locator(`#concern-row-${pupilId}`, { hasText: secondDomain }).waitFor();
    expect(await page.locator(`#concern-row-${pupilId}`).count()).to.equal(1);
    await context.close();
  });

  it('grid entry without JavaScript: the whole grid posts, with an error shown at the field and values kept', async () => {
    const context = await live.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await signInPage(page, 'head@oakfield.test');
    await page.goto(`/groups/${groupId}/grid`);
    const select = page.locator('tbody tr').nth(5).locator('select').first();
    const options = await select.locator('option').all();
    const value = await options[2]!.getAttribute('value');
    await select.selectOption(value!);
    await page.getByLabel('Date of assessment').fill('01/01/2001');
    await submitAndWait(page, page.getByRole('button', { name: 'Save all' }));
    expect(await page.locator('.error-summary').textContent()).to.contain('The date must be within');
    expect(await page.locator('tbody tr').nth(5).locator('select').first().inputValue(), 'the choice is kept').to.equal(
      value,
    );
    const today = new Date().toISOString().slice(0, 10).split('-').reverse().join('/');
    await page.getByLabel('Date of assessment').fill(today);
    await submitAndWait(page, page.getByRole('button', { name: 'Save all' }));
    expect(await page.getByRole('status').first().textContent()).to.match(/Saved\. \d+ pupils? changed\./);
    await context.close();
  });

  it('axe-core finds no serious or critical problem on the grid, class overview, profile charts, notes, interventions, dashboard and set-up', async () => {
    const context = await live.newContext();
    const page = await context.newPage();
    await signInPage(page, 'head@oakfield.test');
    const { su } = live.app.database;
    const pupil = (await su('group_members').where({ group_id: groupId }).first()).pupil_id;
    const intervention = (await su('interventions').first()).id;
    for (const path of [
      `/groups/${groupId}`,
      `/groups/${groupId}/grid`,
      `/pupils/${pupil}`,
      `/pupils/${pupil}/notes`,
      `/pupils/${pupil}/assess`,
      '/interventions',
      `/interventions/${intervention}`,
      '/interventions/new',
      '/dashboard',
      '/dashboard?group=pp',
    ]) {
      await page.goto(path);
      await expectNoSeriousAxeViolations(page, path);
    }
    await followAndWait(page, page.getByRole('button', { name: 'Sign out' }), /\/signed-out$/);
    await signInPage(page, 'admin@oakfield.test');
    const fw = (await su('frameworks').first()).id;
    for (const path of ['/settings', '/frameworks', `/frameworks/${fw}`, '/frameworks/new']) {
      await page.goto(path);
      await expectNoSeriousAxeViolations(page, path);
    }
    await context.close();
  });
});
