import { expect } from 'chai';
import { type Browser, origin, startTestApp, type TestApp } from '../helpers/app.js';
import { demoIds, type DemoIds } from '../helpers/demo.js';

const header = 'mis_id,upn,legal_forename,preferred_forename,surname,date_of_birth,sex,year_group,sen_status';

const fingerprintOf = (html: string) => /name="fingerprint" value="([0-9a-f]{32})"/.exec(html)?.[1];

/** MIS import and the school roll: the full-roll danger check and registration groups (issue 15). */
describe('MIS import: the whole roll and registration groups', () => {
  let app: TestApp;
  let ids: DemoIds;
  let admin: Browser;
  before(async () => {
    app = await startTestApp();
    ids = await demoIds(app.database.su);
    admin = await app.signIn('admin@oakfield.test');
    await app.database.su('school_settings').where({ school_id: ids.oakfield }).update({ mis_import_allowed: true });
  });
  after(() => app.close());

  async function preview(content: string, mode: 'update' | 'full' = 'update') {
    const token = await admin.csrf('/pupils/import');
    const res = await admin.agent
      .post('/pupils/import')
      .set('Origin', origin)
      .field('_csrf', token)
      .field('mode', mode)
      .attach('file', Buffer.from(content, 'utf8'), { filename: 'pupils.csv', contentType: 'text/csv' });
    expect(res.status, res.text.slice(0, 300)).to.equal(303);
    const url = res.headers.location as string;
    return { url, page: (await admin.get(url)).text };
  }
  const confirm = (url: string, page: string, extra: Record<string, string> = {}) =>
    admin.post(`${url}/confirm`, { fingerprint: fingerprintOf(page)!, ...extra }, { tokenFrom: url });
  const onRoll = async () =>
    Number(
      (await app.database.su('pupils').where({ school_id: ids.oakfield }).whereNull('leaving_date').count('* as n'))[0]!
        .n,
    );
  const line = (p: Record<string, string>) =>
    `${p.mis_id},${p.upn ?? ''},${p.legal_forename},,${p.surname},${p.date_of_birth},${p.sex},${p.year_group},${p.sen_status}`;

  it('warns plainly when a full-roll file would make most of the school leavers, and needs the number typed', async () => {
    const su = app.database.su;
    const before = await onRoll();
    const three = await su('pupils')
      .where({ school_id: ids.oakfield })
      .whereNull('leaving_date')
      .whereNotNull('mis_id')
      .orderBy('mis_id')
      .limit(3);
    const leaverCount =
      (await su('pupils')
        .where({ school_id: ids.oakfield })
        .whereNull('leaving_date')
        .whereNotNull('mis_id')
        .whereNull('restricted_at')
        .count('* as n')
        .then((r) => Number(r[0]!.n))) - 3;
    const { url, page } = await preview([header, ...three.map(line)].join('\n'), 'full');
    expect(page).to.contain('Warning: this file would make most of your school leavers');
    expect(page).to.contain(
      `${leaverCount.toLocaleString('en-GB')} of the ${before.toLocaleString('en-GB')} pupils on roll`,
    );
    expect(page).to.contain('the file has 3 pupils');
    expect(page).to.contain('name="leavers_count"');
    const marking = { mark_leavers: 'on', leaving_date: '21/11/2026', leaving_reason: 'No longer in the MIS' };

    // The box alone, or the wrong number, is refused (the server checks: no JavaScript needed), and nothing changes.
    for (const typed of [undefined, '', '3', `${leaverCount + 1}`]) {
      const res = await confirm(url, page, { ...marking, ...(typed === undefined ? {} : { leavers_count: typed }) });
      expect(res.status, String(typed)).to.equal(422);
      expect(res.text).to.contain(`Type ${leaverCount} to confirm`);
      expect(res.text).to.contain('href="#f-leavers_count"');
      expect(await onRoll(), 'nobody marked as left').to.equal(before);
    }
    // Without marking leavers, the file imports as it is, with no number asked for.
    expect((await confirm(url, page)).status).to.equal(303);
    expect(await onRoll()).to.equal(before);

    const again = await preview([header, ...three.map(line)].join('\n'), 'full');
    const typed = await confirm(again.url, again.page, { ...marking, leavers_count: String(leaverCount) });
    expect(typed.status).to.equal(303);
    expect(await onRoll()).to.equal(before - leaverCount);
  });

  it('asks for no number when only a few pupils would leave', async () => {
    const su = app.database.su;
    const onRollNow = await su('pupils')
      .where({ school_id: ids.oakfield })
      .whereNull('leaving_date')
      .whereNotNull('mis_id');
    const { page } = await preview([header, ...onRollNow.slice(1).map(line)].join('\n'), 'full');
    expect(page).to.contain('<dt>On roll but not in the file</dt><dd>1</dd>');
    expect(page).not.to.contain('most of your school');
    expect(page).not.to.contain('name="leavers_count"');
  });
});
