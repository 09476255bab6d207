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
    // Back on roll for the tests that follow.
    await su('pupils')
      .where({ school_id: ids.oakfield, leaving_date: '2026-11-21' })
      .update({ leaving_date: null, leaving_reason: null });
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

  it('a registration_group column puts imported pupils in classes, matched by name or created, and shows dates and years as elsewhere', async () => {
    const su = app.database.su;
    const oak3 = await su('groups').where({ school_id: ids.oakfield, name: '3 Oak' }).first();
    const moving = await su('group_members as gm')
      .join('pupils as p', 'p.id', 'gm.pupil_id')
      .where('gm.group_id', oak3.id)
      .whereNull('p.leaving_date')
      .whereNotNull('p.mis_id')
      .first('p.*');
    const cols = 'mis_id,legal_forename,surname,date_of_birth,sex,year_group,registration_group';
    const file = [
      cols,
      'REG001,Ada,Newcomer,14/02/2018,F,Year 3,3 oak',
      'REG002,Ben,Newcomer,2018-03-01,M,3,Nurture North',
      'REG003,Cy,Newcomer,2018-03-02,M,3,',
      `${moving.mis_id},${moving.legal_forename},${moving.surname},${moving.date_of_birth},${moving.sex},4,4 Oak`,
    ].join('\n');
    const { url, page } = await preview(file);
    // Dates and years as the rest of the app shows them, and the new class named before anything is made.
    expect(page).to.contain('<td>REG001</td><td>Newcomer, Ada</td><td>Year 3</td><td>3 oak</td><td>14/02/2018</td>');
    expect(page).to.contain(
      '<td>REG002</td><td>Newcomer, Ben</td><td>Year 3</td><td>Nurture North</td><td>01/03/2018</td>',
    );
    expect(page).to.match(/<h2>New classes<\/h2>[\s\S]*<li>Nurture North<\/li>/);
    expect(page).not.to.match(/<li>3 oak<\/li>/);
    expect(page).to.match(/registration group<\/td><td>3 Oak<\/td><td>4 Oak<\/td>/);
    expect(page).to.match(/year group<\/td><td>Year 3<\/td><td>Year 4<\/td>/);
    expect(
      await su('groups').where({ school_id: ids.oakfield, name: 'Nurture North' }).first(),
      'the preview creates nothing',
    ).to.equal(undefined);

    expect((await confirm(url, page, { overwrite: 'on' })).status).to.equal(303);
    const classesOf = async (misId: string) =>
      (
        await su('group_members as gm')
          .join('groups as g', 'g.id', 'gm.group_id')
          .join('pupils as p', 'p.id', 'gm.pupil_id')
          .where({ 'p.mis_id': misId, 'p.school_id': ids.oakfield, 'g.kind': 'class' })
          .pluck('g.name')
      ).sort();
    expect(await classesOf('REG001'), 'matched, ignoring case').to.deep.equal(['3 Oak']);
    expect(await classesOf('REG002'), 'created').to.deep.equal(['Nurture North']);
    expect(await classesOf('REG003'), 'no group given: none').to.deep.equal([]);
    expect(await classesOf(moving.mis_id), 'moved: one registration class').to.deep.equal(['4 Oak']);
    const created = await su('groups').where({ school_id: ids.oakfield, name: 'Nurture North' }).first();
    expect([created.kind, created.year_group]).to.deep.equal(['class', '3']);
    const audited = await su('audit_events').where({ action: 'group.created', entity_id: created.id }).first();
    expect(audited, 'the new class is audited').to.not.equal(undefined);
    expect(
      await su('pupil_history').where({ field: 'registration_group', new_value: '4 Oak' }).first(),
      'the move is in the pupil history',
    ).to.not.equal(undefined);

    // The teacher of 3 Oak now sees the new pupil.
    const teacher = await app.signIn('teacher@oakfield.test');
    const reg001 = await su('pupils').where({ school_id: ids.oakfield, mis_id: 'REG001' }).first();
    expect((await teacher.get(`/groups/${oak3.id}`)).text).to.contain(reg001.id);

    // The export writes the column and re-importing it changes nothing.
    const exported = await admin.get('/pupils/export.csv?q=Newcomer');
    expect(exported.text.split('\n')[0]).to.contain('year_group,registration_group');
    expect(exported.text).to.contain('Nurture North');
    const again = await preview(exported.text.replace(/^\ufeff/, ''));
    expect(again.page).to.contain('<dt>Unchanged</dt><dd>3</dd>');
    expect(again.page).not.to.contain('<h2>New classes</h2>');
  });

  it('refuses a registration group name longer than a class name may be, by row and column', async () => {
    const cols = 'mis_id,legal_forename,surname,date_of_birth,sex,year_group,registration_group';
    const { page } = await preview(`${cols}\nLONG01,Al,Long,2018-01-01,M,3,${'x'.repeat(101)}\n`);
    expect(page).to.contain('registration_group');
    expect(page).to.contain('must be 100 characters or fewer');
    expect(page).not.to.contain('name="fingerprint"');
  });
});
