import { expect } from 'chai';
import { naughtyStrings } from '../helpers/blns.js';
import {
  expectNoSeriousAxeViolations,
  followAndWait,
  type LiveApp,
  requireChromium,
  signInPage,
  startLiveApp,
  submitAndWait,
} from '../helpers/browser.js';

describe('Browser: pupils in real Chromium', function () {
  this.timeout(180_000);
  let live: LiveApp;

  before(async function () {
    requireChromium(this);
    live = await startLiveApp();
    await live.app.database.su('school_settings').update({ mis_import_allowed: true });
  });
  after(async () => live?.close());

  const oakfieldPupil = async (year: string) => {
    const { su } = live.app.database;
    return su('pupils')
      .where({
        year_group: year,
        school_id: su('organisations').where({ name: 'Oakfield Primary School' }).select('id'),
      })
      .orderBy('surname')
      .first();
  };

  it('search as you type (htmx), open a profile and edit it, with JavaScript on', async () => {
    const context = await live.newContext();
    const page = await context.newPage();
    await signInPage(page, 'senco@oakfield.test');
    await page.goto('/pupils');
    const target = await oakfieldPupil('5');
    await page.getByLabel('Name, UPN or MIS ID').pressSequentially(target.mis_id, { delay: 20 });
    await page.waitForURL(new RegExp(`q=${target.mis_id}`));
    await page.waitForFunction('document.querySelectorAll("#pupil-results tbody tr").length === 1');
    await followAndWait(page, page.locator('#pupil-results tbody a').first(), /\/pupils\/[0-9a-f-]{36}$/);
    expect(await page.locator('h1').textContent()).to.contain(target.surname);
    await page.getByRole('link', { name: 'Change details' }).click();
    await page.getByLabel('Attendance this year (%) (optional)').fill('88.8');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(new RegExp(`/pupils/${target.id}$`));
    expect(await page.getByRole('status').textContent()).to.contain('attendance percent');
    expect(await page.locator('table').last().textContent()).to.contain('88.8');
    await context.close();
  });

  it('the same with JavaScript off: a plain search form, a profile, an edit with an inline error then success', async () => {
    const context = await live.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await signInPage(page, 'head@oakfield.test');
    await page.goto('/pupils');
    const target = await oakfieldPupil('6');
    await page.getByLabel('Name, UPN or MIS ID').fill(target.upn);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/q=/);
    expect(
      await page.locator('#pupil-results tbody tr').count(),
      `${page.url()} ${await page.locator('#pupil-results').textContent()}`,
    ).to.equal(1);
    await page.locator('#pupil-results tbody a').first().click();
    await page.getByRole('link', { name: 'Change details' }).click();
    await page.getByLabel('Date of birth').fill('31/02/2015');
    await page.getByRole('button', { name: 'Save changes' }).click();
    expect(await page.locator('.error-summary').textContent()).to.contain('31/02/2015 does not exist');
    expect(await page.getByLabel('Date of birth').inputValue(), 'what was typed is kept').to.equal('31/02/2015');
    await page.getByLabel('Date of birth').fill('01/03/2015');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(new RegExp(`/pupils/${target.id}$`));
    expect(await page.locator('dl').first().textContent()).to.contain('01/03/2015');
    await context.close();
  });

  it('the one-page profile prints on exactly one A4 page', async () => {
    const context = await live.newContext();
    const page = await context.newPage();
    await signInPage(page, 'admin@oakfield.test');
    const busiest = await live.app.database
      .su('pupil_contacts')
      .where({ school_id: (await oakfieldPupil('3')).school_id })
      .groupBy('pupil_id')
      .select('pupil_id')
      .orderByRaw('count(*) desc')
      .first();
    await page.goto(`/pupils/${busiest.pupil_id}/print`);
    await page.emulateMedia({ media: 'print' });
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page(?!s)/g) ?? []).length;
    expect(pages).to.equal(1);
    await context.close();
  });

  it('I1: naughty strings are shown as text and never run, even with the CSP switched off', async function () {
    this.timeout(180_000);
    const { su } = live.app.database;
    const school = await su('organisations').where({ name: 'Oakfield Primary School' }).first();
    const group = await su('groups')
      .insert({ school_id: school.id, kind: 'set', name: 'Naughty strings' })
      .returning('id');
    const rows = naughtyStrings
      .filter((s) => s.trim() !== '' && [...s].length <= 100 && !s.includes('\u0000'))
      .map((s, i) => ({
        school_id: school.id,
        legal_forename: s,
        surname: s,
        date_of_birth: '2019-01-01',
        sex: 'U',
        year_group: '4',
        mis_id: `NAUGHTY${i}`,
      }));
    const inserted: { id: string }[] = await su('pupils').insert(rows).returning('id');
    await su('group_members').insert(
      inserted.map((p) => ({ school_id: school.id, group_id: group[0].id, pupil_id: p.id })),
    );

    const context = await live.chromium.newContext({ baseURL: live.origin, bypassCSP: true });
    const page = await context.newPage();
    const ran: string[] = [];
    page.on('dialog', async (d) => {
      ran.push(d.message());
      await d.dismiss();
    });
    await signInPage(page, 'admin@oakfield.test');
    await page.goto(`/groups/${group[0].id}`);
    const shown = await page.locator('table.overview tbody th a').allTextContents();
    expect(shown.length).to.equal(rows.length);
    const expected = rows.map((r) => `${r.surname}, ${r.legal_forename}`);
    expect([...shown].sort()).to.deep.equal([...expected].sort());
    for (const p of inserted.slice(0, 40)) await page.goto(`/pupils/${p.id}`);
    await page.goto('/pupils?year=4&sort=name');
    expect(ran, 'no script ran').to.deep.equal([]);
    expect(await page.evaluate('typeof window.__blns === "undefined"')).to.equal(true);
    await context.close();
  });

  it('a slow import check, import and export each show a status and cannot be sent twice; without JavaScript the import still works', async () => {
    const context = await live.newContext();
    const page = await context.newPage();
    await signInPage(page, 'admin@oakfield.test');
    // Holds each request to `path` until released, as a large file would, and counts them.
    const hold = async (path: RegExp) => {
      const held = { count: 0, release: () => {} };
      const released = new Promise<void>((resolve) => (held.release = resolve));
      await page.route(path, async (route) => {
        if (route.request().method() === 'GET' && !/\.csv/.test(route.request().url())) return route.continue();
        held.count++;
        await released;
        await route.continue();
      });
      return held;
    };
    const status = (text: string) => page.getByRole('status').filter({ hasText: text });
    // While a form's navigation is pending, locators wait for it; the page itself can be asked.
    type Node = {
      textContent: string | null;
      disabled?: boolean;
      getAttribute(name: string): string | null;
      querySelector(selector: string): Node | null;
    };
    const formBusy = (text: string) =>
      page.waitForFunction(
        (expected) => {
          const w = globalThis as unknown as { document: Node; getComputedStyle(n: Node): { display: string } };
          const form = w.document.querySelector('form[data-busy-form]');
          const shown = form?.querySelector('[role="status"]');
          return (
            form?.getAttribute('aria-busy') === 'true' &&
            shown?.textContent === expected &&
            w.getComputedStyle(shown).display !== 'none' &&
            form.querySelector('button[type="submit"]')?.disabled === true
          );
        },
        text,
        { polling: 100, timeout: 20_000 },
      );

    await page.goto('/pupils/import');
    expect(await page.locator('main').textContent()).to.contain('can take up to a minute');
    await page.setInputFiles('#f-file', {
      name: 'large.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('mis_id,legal_forename,surname,date_of_birth,sex,year_group\nB1,Cara,Ode,01/02/2019,F,3\n'),
    });
    const upload = await hold(/\/pupils\/import$/);
    const button = page.getByRole('button', { name: 'Upload and check' });
    // The click waits for the navigation it starts, which waits for the release.
    const clicked = button.click();
    await formBusy('Checking the file… this can take up to a minute.');
    upload.release();
    await clicked;
    await page.waitForURL(/\/pupils\/import\/[0-9a-f-]{36}$/);
    expect(upload.count, 'sent once').to.equal(1);
    expect(await page.locator('h1').textContent()).to.equal('Check the import');

    const confirm = await hold(/\/confirm$/);
    const confirming = page.getByRole('button', { name: 'Import 1 pupil' }).click();
    await formBusy('Importing the file… this can take up to a minute.');
    confirm.release();
    await confirming;
    await page.waitForSelector('text=Applied');
    expect(confirm.count).to.equal(1);

    await page.goto('/pupils');
    const exporting = await hold(/\/pupils\/export\.csv/);
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download this list as CSV' }).click();
    await status('Preparing the file…').waitFor();
    exporting.release();
    expect((await download).suggestedFilename()).to.match(/^pupils-.*\.csv$/);
    await status('Preparing the file…').waitFor({ state: 'hidden' });
    expect(exporting.count).to.equal(1);
    await context.close();

    const noScript = await live.newContext({ javaScriptEnabled: false });
    const plain = await noScript.newPage();
    await signInPage(plain, 'admin@oakfield.test');
    await plain.goto('/pupils/import');
    await plain.setInputFiles('#f-file', {
      name: 'plain.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('mis_id,legal_forename,surname,date_of_birth,sex,year_group\nB2,Dev,Oyo,02/02/2019,M,3\n'),
    });
    await submitAndWait(plain, plain.getByRole('button', { name: 'Upload and check' }));
    expect(await plain.locator('h1').textContent()).to.equal('Check the import');
    await noScript.close();
  });

  it('axe-core finds no serious or critical problem on the list, profile, edit, group and import pages', async () => {
    const context = await live.newContext();
    const page = await context.newPage();
    await signInPage(page, 'admin@oakfield.test');
    const pupil = await oakfieldPupil('3');
    for (const path of [
      '/pupils',
      `/pupils/${pupil.id}`,
      `/pupils/${pupil.id}/edit`,
      `/pupils/${pupil.id}/print`,
      '/pupils/new',
      '/groups',
      '/support-flags',
      '/pupils/import',
    ]) {
      await page.goto(path);
      await expectNoSeriousAxeViolations(page, path);
    }
    await page.goto('/pupils/new');
    await submitAndWait(page, page.getByRole('button', { name: 'Add pupil' }));
    await expectNoSeriousAxeViolations(page, 'pupil form with errors');
    await page.goto('/pupils/import');
    await page.setInputFiles('#f-file', {
      name: 'x.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        'mis_id,legal_forename,surname,date_of_birth,sex,year_group\nA1,Amy,Ng,31/02/2019,F,3\nA2,Bo,Li,01/02/2019,F,3\n',
      ),
    });
    await page.getByRole('button', { name: 'Upload and check' }).click();
    await page.waitForURL(/\/pupils\/import\/[0-9a-f-]{36}$/);
    expect(await page.locator('h1').textContent()).to.equal('Check the import');
    await expectNoSeriousAxeViolations(page, 'import preview');
    await context.close();
  });
});
