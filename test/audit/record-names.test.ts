import { expect } from 'chai';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { demoIds, type DemoIds } from '../helpers/demo.js';
import { continuesSearch, keyGapMs, markSearch, searchMs } from '../../src/modules/pupils/search-audit.js';

/**
 * Issue 15, item 14: the audit log answers "who looked at my child's record?": it names and links the
 * pupil (for those who may see them) and filters by pupil; live search writes one listing per search.
 */
describe('The audit log names pupils, filters by pupil, and lists one live search once', () => {
  let app: TestApp;
  let ids: DemoIds;
  let pupil: { id: string; legal_forename: string; preferred_forename: string | null; surname: string };
  before(async () => {
    app = await startTestApp();
    ids = await demoIds(app.database.su);
    pupil = await app.database
      .su('pupils')
      .where({ school_id: ids.oakfield })
      .whereNull('restricted_at')
      .whereRaw("surname !~ '[^A-Za-z -]'")
      .whereRaw("legal_forename !~ '[^A-Za-z -]'")
      .whereNull('preferred_forename')
      .orderBy('surname')
      .first();
  });
  after(() => app.close());

  const name = () => `${pupil.legal_forename} ${pupil.surname}`;

  it('names and links the record, and the pupil filter shows who viewed or changed it, and nothing else', async () => {
    const senco = await app.signIn('senco@oakfield.test');
    expect((await senco.get(`/pupils/${pupil.id}`)).status).to.equal(200);
    const admin = await app.signIn('admin@oakfield.test');
    const profile = await admin.get(`/pupils/${pupil.id}`);
    expect(profile.text).to.contain(`href="/audit?pupil=${pupil.id}"`);

    const log = await admin.get('/audit?action=pupil.viewed');
    expect(log.text).to.contain(`<a href="/pupils/${pupil.id}">${name()}</a>`);
    expect(log.text).to.contain(`href="/audit?pupil=${pupil.id}"`);
    expect(log.text).not.to.match(new RegExp(`pupil ${pupil.id.slice(0, 8)}`));

    const filtered = await admin.get(`/audit?pupil=${pupil.id}`);
    expect(filtered.status).to.equal(200);
    expect(filtered.text).to.contain(`Showing entries about <strong>${name()}</strong> only`);
    expect(filtered.text).to.contain(`<input type="hidden" name="pupil" value="${pupil.id}">`);
    const shown = [...filtered.text.matchAll(/<tr>\s*<td>[\s\S]*?<\/tr>/g)].map((m) => m[0]);
    expect(shown.length).to.be.at.least(2);
    for (const row of shown) expect(row).to.contain(`<a href="/pupils/${pupil.id}">`);
    const sencoName = await app.database.su('users').where({ email: 'senco@oakfield.test' }).first();
    expect(filtered.text).to.contain(`${sencoName.given_name} ${sencoName.family_name}`);

    // htmx narrowing keeps the pupil.
    const narrowed = await admin.get(`/audit?pupil=${pupil.id}&action=pupil.viewed`).set('HX-Request', 'true');
    expect(narrowed.text).not.to.contain('<html');
    expect(narrowed.text).to.contain(`<a href="/pupils/${pupil.id}">${name()}</a>`);
  });

  it('another school’s admin is not told the name of a pupil they may not see', async () => {
    const other = await app.signIn('head@riverside.test');
    const res = await other.get(`/audit?pupil=${pupil.id}`);
    expect(res.status).to.equal(200);
    expect(res.text).not.to.contain(pupil.surname);
    expect(res.text).to.contain('No entries match');
  });

  it('a live search writes one “Listed pupils” row, not one per key; a new search or a page load writes another', async () => {
    const admin = await app.signIn('admin@oakfield.test');
    const listed = async () =>
      Number(
        (
          await app.database
            .su('audit_events')
            .where({ action: 'pupil.listed', school_id: ids.oakfield })
            .count('* as n')
        )[0]!.n,
      );
    const start = await listed();
    for (const q of ['O', 'Ok', 'Oka', 'Okaf', 'Okafor'])
      expect((await admin.get(`/pupils?q=${q}`).set('HX-Request', 'true')).status).to.equal(200);
    expect(await listed(), 'one search, one row').to.equal(start + 1);
    await admin.get('/pupils?q=Okafor&year=3').set('HX-Request', 'true');
    expect(await listed(), 'a changed filter is a new listing').to.equal(start + 2);
    await admin.get('/pupils?q=Okafor&year=3');
    expect(await listed(), 'a full page load is always recorded').to.equal(start + 3);
    // Another person's search is their own.
    const head = await app.signIn('head@oakfield.test');
    await head.get('/pupils?q=O').set('HX-Request', 'true');
    expect(await listed()).to.equal(start + 4);
  });

  it('a search ends after a pause in typing or a minute, whatever the browser sends', () => {
    const query = { q: 'a', sort: 'name', dir: 'asc', status: 'on_roll', page: 1 } as never;
    const first = markSearch(undefined, query, 0, false);
    expect(continuesSearch(first, { ...(query as object), q: 'ab' } as never, 1_000)).to.equal(true);
    expect(continuesSearch(first, query, keyGapMs + 1)).to.equal(false);
    let mark = first;
    for (let t = 5_000; t <= searchMs; t += 5_000) mark = markSearch(mark, query, t, continuesSearch(mark, query, t));
    expect(mark.recordedAt, 'typing steadily is one search for a minute').to.equal(0);
    expect(continuesSearch(mark, query, searchMs + 5_000), 'then a new row').to.equal(false);
    expect(continuesSearch(undefined, query, 0), 'no search yet').to.equal(false);
  });
});
