import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { type Browser, origin, startTestApp, type TestApp } from '../helpers/app.js';
import { demoIds, type DemoIds } from '../helpers/demo.js';
import { csvColumns } from '../../src/modules/pupils/import-format.js';
import { makeUpn } from '../../src/modules/pupils/upn.js';
import { importGate } from '../../src/modules/pupils/import-gate.js';

const header =
  'mis_id,upn,legal_forename,preferred_forename,surname,date_of_birth,sex,year_group,sen_status,fsm_periods';

async function upload(
  b: Browser,
  content: string | Buffer,
  opts: { mode?: 'update' | 'full'; filename?: string } = {},
) {
  const token = await b.csrf('/pupils/import');
  return b.agent
    .post('/pupils/import')
    .set('Origin', origin)
    .field('_csrf', token)
    .field('mode', opts.mode ?? 'update')
    .attach('file', Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8'), {
      filename: opts.filename ?? 'pupils.csv',
      contentType: 'text/csv',
    });
}

const fingerprintOf = (html: string) => /name="fingerprint" value="([0-9a-f]{32})"/.exec(html)?.[1];
const count = (html: string, label: string) =>
  Number(new RegExp(`<dt>${label}</dt><dd>(\\d+)</dd>`).exec(html)?.[1] ?? -1);

describe('MIS import (P31): upload, preview, confirm', () => {
  let app: TestApp;
  let ids: DemoIds;
  let admin: Browser;
  before(async () => {
    app = await startTestApp();
    ids = await demoIds(app.database.su);
    admin = await app.signIn('admin@oakfield.test');
  });
  after(() => app.close());

  const allow = (on: boolean) =>
    app.database.su('school_settings').where({ school_id: ids.oakfield }).update({ mis_import_allowed: on });

  async function preview(content: string | Buffer, opts: { mode?: 'update' | 'full' } = {}) {
    const res = await upload(admin, content, opts);
    expect(res.status, res.text.slice(0, 300)).to.equal(303);
    const url = res.headers.location as string;
    return { url, page: await admin.get(url) };
  }

  async function confirm(url: string, page: string, extra: Record<string, string> = {}) {
    return admin.post(`${url}/confirm`, { fingerprint: fingerprintOf(page)!, ...extra }, { tokenFrom: url });
  }

  it('P31: imports are refused while the school has not given permission, and the refusal is audited', async () => {
    await allow(false);
    const page = await admin.get('/pupils/import');
    expect(page.text).to.contain('MIS imports are turned off');
    const res = await upload(admin, `${header}\nX1,,A,,B,01/01/2019,F,3,N,\n`);
    expect(res.status).to.equal(403);
    expect(res.text).to.contain('MIS imports are turned off for this school');
    expect(await app.database.su('import_files')).to.have.length(0);
    expect(
      await app.database.su('audit_events').where({ action: 'import.refused', school_id: ids.oakfield }),
    ).to.have.length(1);
  });

  it('P31 and I4: a clean file previews new/changed/unchanged, then applies in one go; BOM, CRLF, quotes and both date forms work', async () => {
    await allow(true);
    const existing = await app.database
      .su('pupils')
      .where({ school_id: ids.oakfield, year_group: '4' })
      .orderBy('mis_id')
      .first();
    const dobUk = existing.date_of_birth.split('-').reverse().join('/');
    const lines = [
      header,
      `NEW001,${makeUpn('801', '2000', 22, 901)},"Zara ""Zee""",,"Rahman, Begum",01/06/2019,F,3,E,2024-01-10..`,
      `NEW002,,Jakub,,Nowak,2018-11-30,M,Year 3,K,`,
      `${existing.mis_id},${existing.upn},${existing.legal_forename},,${existing.surname},${dobUk},${existing.sex},${existing.year_group},${existing.sen_status},`,
    ];
    const { url, page } = await preview(`\ufeff${lines.join('\r\n')}\r\n`);
    expect(page.status).to.equal(200);
    expect(count(page.text, 'New pupils')).to.equal(2);
    expect(count(page.text, 'Errors')).to.equal(0);
    expect(await app.database.su('pupils').where({ mis_id: 'NEW001' })).to.have.length(0);
    const before = await app.database.su('pupils').count('* as n');
    const res = await confirm(url, page.text);
    expect(res.status).to.equal(303);
    const zara = await app.database.su('pupils').where({ mis_id: 'NEW001' }).first();
    expect(zara).to.include({
      legal_forename: 'Zara "Zee"',
      surname: 'Rahman, Begum',
      date_of_birth: '2019-06-01',
      sen_status: 'E',
      year_group: '3',
    });
    expect((await app.database.su('pupils').where({ mis_id: 'NEW002' }).first()).date_of_birth).to.equal('2018-11-30');
    expect(await app.database.su('pupil_fsm_periods').where({ pupil_id: zara.id })).to.have.length(1);
    expect(Number((await app.database.su('pupils').count('* as n'))[0]!.n)).to.equal(Number(before[0]!.n) + 2);
    const file = await app.database.su('import_files').orderBy('created_at', 'desc').first();
    expect(file.status).to.equal('applied');
    expect(file.processed_at, 'P23: kept with its processed date for retention').to.be.instanceOf(Date);
    expect(file.content.length).to.be.greaterThan(100);
    const audit = await app.database.su('audit_events').where({ action: 'import.applied' }).first();
    expect(audit.meta).to.include({ created: 2 });
    const history = await app.database.su('pupil_history').where({ pupil_id: zara.id, source: 'import' });
    expect(history).to.have.length(1);
    expect(
      (await admin.post(`${url}/confirm`, { fingerprint: fingerprintOf(page.text)! }, { tokenFrom: url })).status,
      'a second confirm does nothing',
    ).to.equal(409);
  });

  it('exporting the whole school and importing it again changes nothing', async () => {
    await app.database.su('pupils').insert({
      school_id: ids.oakfield,
      legal_forename: 'Added',
      surname: 'In-Waypoint',
      date_of_birth: '2019-03-03',
      sex: 'F',
      year_group: '2',
    });
    const exported = await admin.get('/pupils/export.csv?status=all');
    const { url, page } = await preview(exported.text);
    const total = (parse(exported.text.replace(/^\ufeff/, ''), { columns: true }) as unknown[]).length;
    expect(count(page.text, 'Errors')).to.equal(0);
    expect(count(page.text, 'New pupils')).to.equal(0);
    expect(count(page.text, 'Pupils with changes')).to.equal(0);
    expect(count(page.text, 'Conflicts with edits made in Waypoint')).to.equal(0);
    // Pupils added in Waypoint have no MIS ID: they come back as rows that are left out.
    const withoutMisId = await app.database
      .su('pupils')
      .where({ school_id: ids.oakfield })
      .whereNull('mis_id')
      .count('* as n')
      .then((r) => Number(r[0]!.n));
    expect(count(page.text, 'Unchanged')).to.equal(total - withoutMisId);
    expect(withoutMisId).to.be.greaterThan(0);
    expect(count(page.text, 'Rows without an MIS ID \\(left out\\)')).to.equal(withoutMisId);
    const before = await app.database
      .su('pupils')
      .where({ school_id: ids.oakfield })
      .select('id', 'version', 'updated_at')
      .orderBy('id');
    expect((await confirm(url, page.text)).status).to.equal(303);
    const after = await app.database
      .su('pupils')
      .where({ school_id: ids.oakfield })
      .select('id', 'version', 'updated_at')
      .orderBy('id');
    expect(after).to.deep.equal(before);
    expect(
      Object.keys(parse(exported.text.replace(/^\ufeff/, ''), { columns: true, to: 1 })[0] as object),
    ).to.deep.equal([...csvColumns]);
  });

  it('matches on MIS ID and updates; a field edited in Waypoint since the last import is a conflict, kept unless chosen', async () => {
    const p = await app.database.su('pupils').where({ mis_id: 'NEW002' }).first();
    const row = (attendance: string, sen: string, surname = 'Nowak') =>
      `${header},attendance_percent\nNEW002,,Jakub,,${surname},30/11/2018,M,3,${sen},,${attendance}\n`;
    // First import from the MIS sets the baseline.
    let { url, page } = await preview(row('95', 'K'));
    expect(count(page.text, 'Pupils with changes')).to.equal(1);
    expect(page.text).to.match(/attendance percent<\/td><td>\(blank\)<\/td><td>95<\/td>/);
    await confirm(url, page.text);
    // Someone corrects SEN in Waypoint.
    await app.database
      .su('pupils')
      .where({ id: p.id })
      .update({ sen_status: 'E', version: app.database.su.raw('version + 1') });
    // The MIS changes attendance (fine) and SEN (conflict with the local edit) and the surname (fine).
    ({ url, page } = await preview(row('93.5', 'N', 'Nowak-Smith')));
    expect(count(page.text, 'Conflicts with edits made in Waypoint')).to.equal(1);
    expect(page.text).to.match(/sen status<\/td><td>E<\/td><td>N<\/td>/);
    expect((await confirm(url, page.text)).status).to.equal(303);
    let now = await app.database.su('pupils').where({ id: p.id }).first();
    expect(now).to.include({ sen_status: 'E', surname: 'Nowak-Smith', attendance_percent: 93.5 });
    // The same MIS value again is no longer a conflict: the local edit stands.
    ({ url, page } = await preview(row('93.5', 'N', 'Nowak-Smith')));
    expect(count(page.text, 'Conflicts with edits made in Waypoint')).to.equal(0);
    expect(count(page.text, 'Unchanged')).to.equal(1);
    await admin.post(`${url}/cancel`, {}, { tokenFrom: url });
    // A new MIS value conflicts again; this time the school chooses the MIS value.
    ({ url, page } = await preview(row('93.5', 'K', 'Nowak-Smith')));
    expect(count(page.text, 'Conflicts with edits made in Waypoint')).to.equal(1);
    expect((await confirm(url, page.text, { overwrite: 'on' })).status).to.equal(303);
    now = await app.database.su('pupils').where({ id: p.id }).first();
    expect(now.sen_status).to.equal('K');
  });

  it('a full import lists pupils missing from the file and marks them as left only when confirmed', async () => {
    const year6 = await app.database
      .su('pupils')
      .where({ school_id: ids.oakfield })
      .whereNull('leaving_date')
      .whereNotNull('mis_id')
      .whereNull('restricted_at')
      .orderBy('mis_id');
    const keep = year6.slice(2);
    const lines = [
      header,
      ...keep.map(
        (p) =>
          `${p.mis_id},${p.upn ?? ''},${p.legal_forename},,${p.surname},${p.date_of_birth},${p.sex},${p.year_group},${p.sen_status},`,
      ),
    ];
    let { url, page } = await preview(lines.join('\n'), { mode: 'full' });
    expect(count(page.text, 'On roll but not in the file')).to.equal(2);
    expect(page.text).to.contain(year6[0].mis_id);
    expect((await confirm(url, page.text)).status).to.equal(303);
    expect(
      (await app.database.su('pupils').where({ id: year6[0].id }).first()).leaving_date,
      'not marked unless asked',
    ).to.equal(null);
    ({ url, page } = await preview(lines.join('\n'), { mode: 'full' }));
    const missingDate = await confirm(url, page.text, {
      mark_leavers: 'on',
      leaving_date: '',
      leaving_reason: 'No longer in the MIS',
    });
    expect(missingDate.status).to.equal(422);
    expect(missingDate.text).to.contain('Enter the leaving date');
    expect(
      (
        await confirm(url, page.text, {
          mark_leavers: 'on',
          leaving_date: '21/11/2026',
          leaving_reason: 'No longer in the MIS',
        })
      ).status,
    ).to.equal(303);
    const left = await app.database.su('pupils').whereIn('id', [year6[0].id, year6[1].id]);
    expect(left.map((p) => [p.leaving_date, p.leaving_reason])).to.deep.equal([
      ['2026-11-21', 'No longer in the MIS'],
      ['2026-11-21', 'No longer in the MIS'],
    ]);
  });

  it('P31: a school admin turns MIS imports off and on in settings, and each change is audited', async () => {
    const versionNow = async () => /name="version" value="(\d+)"/.exec((await admin.get('/settings')).text)![1]!;
    const settings = await app.database.su('school_settings').where({ school_id: ids.oakfield }).first();
    const keep = {
      dsl_name: settings.dsl_name ?? '',
      dsl_contact: settings.dsl_contact ?? '',
      share_with_trust: settings.share_with_trust ? 'on' : undefined,
      share_with_la: settings.share_with_la ? 'on' : undefined,
    };
    for (const on of [false, true]) {
      const res = await admin.post(
        '/settings',
        { ...keep, version: await versionNow(), mis_import_allowed: on ? 'on' : undefined },
        { tokenFrom: '/settings' },
      );
      expect(res.status).to.equal(303);
      expect(
        (await app.database.su('school_settings').where({ school_id: ids.oakfield }).first()).mis_import_allowed,
      ).to.equal(on);
    }
    const changes = await app.database
      .su('audit_events')
      .where({ action: 'settings.updated', school_id: ids.oakfield })
      .whereRaw(`meta \\? 'mis_import_allowed'`)
      .orderBy('id');
    expect(changes.slice(-2).map((e) => e.meta.mis_import_allowed)).to.deep.equal([false, true]);
    expect(changes.slice(-2).every((e) => e.actor_user_id === ids.user('admin@oakfield.test'))).to.equal(true);
  });

  it('P31: revoking permission refuses new imports and keeps the data from the last one', async () => {
    const before = await app.database.su('pupils').where({ mis_id: 'NEW001' }).first();
    await allow(false);
    const res = await upload(admin, `${header}\nNEW003,,A,,B,01/01/2019,F,3,N,\n`);
    expect(res.status).to.equal(403);
    expect(await app.database.su('pupils').where({ mis_id: 'NEW001' }).first()).to.deep.equal(before);
    await allow(true);
  });

  it('I4: every error is listed by row and column in plain words, and nothing is imported', async () => {
    const taken = await app.database.su('pupils').where({ school_id: ids.oakfield }).whereNotNull('upn').first();
    const lines = [
      header,
      'E1,A801200005001,Amy,,Adams,01/02/2019,F,3,N,',
      'E2,,Ben,,Brown,31/02/2019,M,3,N,',
      'E3,,Cal,,Cole,01/02/2019,X,3,N,',
      'E1,,Dee,,Dunn,01/02/2019,F,3,N,',
      `E5,${taken.upn},Eve,,Ellis,01/02/2019,F,3,N,`,
      'E6,,Fay,,Ford,01/02/2019,F,3,N,2021-09-01..2020-01-01',
      ',,Gus,,Gray,01/02/2019,M,3,N,',
      'E8,,Hal,,Hart,01/02/2019,M,3,N',
      'E9,,Ivy,, ,01/02/2019,F,14,Q,',
    ];
    const { url, page } = await preview(lines.join('\n'));
    const errors = [
      ...page.text.matchAll(/<tr><td class="num">(\d+)<\/td><td>([^<]+)<\/td><td>([^<]+)<\/td><\/tr>/g),
    ].map((m) => [Number(m[1]), m[2], m[3]]);
    const at = (row: number, column: string) => {
      const found = errors.find(([r, c]) => r === row && c === column)?.[2] as string | undefined;
      if (found === undefined) throw new Error(`no error at row ${row}, ${column}; errors: ${JSON.stringify(errors)}`);
      return found;
    };
    expect(at(2, 'upn')).to.contain('check letter does not match');
    expect(at(3, 'date_of_birth')).to.contain('31/02/2019 does not exist');
    expect(at(4, 'sex')).to.contain('“X” is not one of M, F, U');
    expect(at(5, 'mis_id')).to.contain('appears more than once in the file (also row 2)');
    expect(at(6, 'upn')).to.contain('already belongs to another pupil at this school');
    expect(at(7, 'fsm_periods')).to.contain('ends before it starts');
    expect(
      errors.some(([r]) => r === 8),
      'a row without an MIS ID is left out, not an error',
    ).to.equal(false);
    expect(page.text).to.contain(
      'Rows without an MIS ID cannot be matched, so they are left out and change nothing: row 8.',
    );
    expect(at(9, '(whole row)')).to.contain('has 9 values but the header has 10');
    expect(at(10, 'surname')).to.equal('Enter a surname');
    expect(at(10, 'year_group')).to.contain('“14” is not one of');
    expect(at(10, 'sen_status')).to.contain('“Q” is not one of N, K, E');
    expect(page.text).not.to.contain('name="fingerprint"');
    // P23: stored with its processed date even though it was never applied.
    expect(
      (
        await app.database
          .su('import_files')
          .where({ id: url.split('/').at(-1) })
          .first()
      ).processed_at,
    ).to.be.instanceOf(Date);
    const csv = await admin.get(`${url}/errors.csv`);
    expect(csv.text).to.contain('row,column,problem');
    const forced = await admin.post(`${url}/confirm`, { fingerprint: 'a'.repeat(32) }, { tokenFrom: url });
    expect(forced.status).to.equal(409);
    expect(await app.database.su('pupils').whereIn('mis_id', ['E1', 'E2', 'E3', 'E5', 'E6'])).to.have.length(0);
  });

  it('I4: a wrong header, a missing required column, an empty file and a non-CSV file are each explained', async () => {
    const cases: [string | Buffer, RegExp][] = [
      ['pupil id,first,last\n1,A,B\n', /column.*Waypoint does not know: “pupil_id”, “first”, “last”/],
      ['mis_id,legal_forename,surname,sex,year_group\nX,A,B,F,3\n', /no “date_of_birth” column/],
      ['', /The file is empty/],
      ['\ufeff\r\n', /The file is empty/],
      [`${header}\n`, /header row but no pupils/],
      [Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00, 0x08, 0x00]), /Excel workbook/],
      [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00]), /not a text file/],
      [
        Buffer.from(
          'mis_id,legal_forename,surname,date_of_birth,sex,year_group\nX,Ren\xe9,B,01/01/2019,F,3\n',
          'latin1',
        ),
        /not UTF-8/,
      ],
      [
        'mis_id,legal_forename,surname,date_of_birth,sex,year_group\nX,"unclosed,B,01/01/2019,F,3\n',
        /could not be read as CSV/,
      ],
    ];
    for (const [content, message] of cases) {
      const { page } = await preview(content);
      expect(page.text, String(message)).to.match(message);
      expect(page.text).to.contain('This file cannot be imported');
    }
  });

  it('I4: a file over 10 MB gets a readable 413 and is not stored', async () => {
    const big = Buffer.alloc(10 * 1024 * 1024 + 10, 'a');
    const before = (await app.database.su('import_files').count('* as n'))[0]!.n;
    const res = await upload(admin, big);
    expect(res.status).to.equal(413);
    expect(res.text).to.contain('larger than Waypoint accepts');
    expect((await app.database.su('import_files').count('* as n'))[0]!.n).to.equal(before);
  });

  it('a 50,000-row file previews with every row checked', async function () {
    this.timeout(180_000);
    const rows = [header];
    for (let i = 0; i < 50_000; i++)
      rows.push(
        `BIG${i},${makeUpn('999', '9999', 23, i % 1000)},Pupil,,Number ${i},01/02/2019,${i % 2 ? 'M' : 'F'},3,N,`,
      );
    // Every UPN serial repeats every 1,000 rows (the serial is 3 digits), so later rows are duplicates: real errors.
    const { page } = await preview(rows.join('\n'));
    expect(page.status).to.equal(200);
    expect(count(page.text, 'New pupils') + count(page.text, 'Errors')).to.equal(50_000);
    expect(count(page.text, 'Errors')).to.equal(49_000);
    // Every problem is counted; only the first 100 of a column are kept and listed (I4).
    expect(page.text).to.contain('Showing the first 100 of 49,000 problems');
    expect(page.text).to.contain('Download these 100 of the 49,000 errors as CSV');
  });

  it('confirm is all or nothing: a failure part-way leaves no trace', async () => {
    const lines = [header, ...Array.from({ length: 30 }, (_, i) => `ROLL${i},,Roll,,Back ${i},01/02/2019,F,3,N,`)];
    const { url, page } = await preview(lines.join('\n'));
    await app.database.su.raw(
      `create function fail_history() returns trigger language plpgsql as $$ begin raise exception 'simulated failure'; end $$`,
    );
    await app.database.su.raw(
      `create trigger fail_history before insert on pupil_history for each statement execute function fail_history()`,
    );
    try {
      const res = await confirm(url, page.text);
      expect(res.status).to.equal(500);
    } finally {
      await app.database.su.raw('drop trigger fail_history on pupil_history');
      await app.database.su.raw('drop function fail_history()');
    }
    expect(await app.database.su('pupils').where('mis_id', 'like', 'ROLL%')).to.have.length(0);
    expect(
      (
        await app.database
          .su('import_files')
          .where({ id: url.split('/').at(-1) })
          .first()
      ).status,
    ).to.equal('previewed');
    expect((await confirm(url, page.text)).status, 'and it can then be applied').to.equal(303);
    expect(await app.database.su('pupils').where('mis_id', 'like', 'ROLL%')).to.have.length(30);
  });

  it('a 2,500-row file is applied whole, changes and new pupils alike, and a failure near its end leaves no trace', async function () {
    this.timeout(120_000);
    // The first 1,000 rows change pupils imported before; the other 1,500 are new, written in several inserts.
    const first = [header, ...Array.from({ length: 1000 }, (_, i) => `MANY${i},,Many,,First ${i},01/02/2019,F,3,N,`)];
    const { url: firstUrl, page: firstPage } = await preview(first.join('\n'));
    expect((await confirm(firstUrl, firstPage.text)).status).to.equal(303);
    const lines = [
      header,
      ...Array.from(
        { length: 2500 },
        (_, i) => `MANY${i},,Many,,${i < 1000 ? 'Changed' : 'New'} ${i},01/02/2019,F,3,N,`,
      ),
    ];
    const { url, page } = await preview(lines.join('\n'));
    expect([
      count(page.text, 'New pupils'),
      count(page.text, 'Pupils with changes'),
      count(page.text, 'Errors'),
    ]).to.deep.equal([1500, 1000, 0]);
    expect(page.text).to.contain('(the first 500)');
    await app.database.su.raw(
      `create function fail_late() returns trigger language plpgsql as $$ begin raise exception 'simulated failure'; end $$`,
    );
    await app.database.su.raw(
      `create trigger fail_late before insert on pupils for each row when (new.mis_id = 'MANY2400') execute function fail_late()`,
    );
    try {
      expect((await confirm(url, page.text)).status).to.equal(500);
    } finally {
      await app.database.su.raw('drop trigger fail_late on pupils');
      await app.database.su.raw('drop function fail_late()');
    }
    const many = () => app.database.su('pupils').where('mis_id', 'like', 'MANY%');
    expect(await many().clone().count('* as n').first()).to.deep.equal({ n: 1000 });
    expect(
      await many().clone().where('surname', 'like', 'Changed%').count('* as n').first(),
      'the changes in the first batch were rolled back',
    ).to.deep.equal({ n: 0 });
    expect((await confirm(url, page.text)).status).to.equal(303);
    expect(await many().clone().count('* as n').first()).to.deep.equal({ n: 2500 });
    expect(await many().clone().where('surname', 'like', 'Changed%').count('* as n').first()).to.deep.equal({
      n: 1000,
    });
    const history = await app.database
      .su('pupil_history as h')
      .join('pupils as p', 'p.id', 'h.pupil_id')
      .where('p.mis_id', 'like', 'MANY%')
      .where('h.source', 'import')
      .select(
        app.database.su.raw(
          `count(*) filter (where h.field = 'record')::int as created, count(*) filter (where h.field = 'surname')::int as renamed`,
        ),
      )
      .first();
    expect(history).to.deep.equal({ created: 2500, renamed: 1000 });
  });

  it('I4: a quote left open near the end of a long file is reported, and nothing is imported', async () => {
    const lines = [
      header,
      ...Array.from({ length: 1500 }, (_, i) => `OPEN${i},,Open,,Quote ${i},01/02/2019,F,3,N,`),
      'OPENX,,"Never closed,,Quote,01/02/2019,F,3,N,',
    ];
    const { page } = await preview(lines.join('\n'));
    expect(page.status).to.equal(200);
    expect(page.text).to.contain('This file cannot be imported');
    expect(page.text).to.contain('could not be read as CSV');
    expect(page.text).not.to.contain('name="fingerprint"');
    expect(await app.database.su('pupils').where('mis_id', 'like', 'OPEN%')).to.have.length(0);
  });

  it('I4: an 8 MB header row of unknown columns is refused at once with a short message', async function () {
    await allow(true);
    this.timeout(120_000);
    const names: string[] = [];
    for (let size = 0; size < 8 * 1024 * 1024; size += names.at(-1)!.length + 1)
      names.push(`unknown_column_${names.length}`);
    const res = await upload(admin, `${names.join(',')}\n1,2,3\n`);
    expect(res.status).to.equal(303);
    expect(res.text.length).to.be.below(1000);
    const page = await admin.get(res.headers.location as string);
    expect(page.status).to.equal(200);
    expect(page.text).to.contain('This file cannot be imported');
    expect(page.text).to.contain(
      'The header row (the first row of the file) is wider than 200 columns, so this is not a pupil file.',
    );
    expect(page.text.length, 'the page is small, not the header again').to.be.below(20_000);
    const stored = await app.database
      .su('import_files')
      .where({ id: (res.headers.location as string).split('/').at(-1) })
      .first();
    expect(JSON.stringify(stored.preview).length).to.be.below(2000);
    // One very long name, and 10 MB of commas (millions of empty columns), are refused the same way.
    expect((await preview(`mis_id,${'x'.repeat(20_000)}\n1,2\n`)).page.text).to.contain(
      'The header row (the first row of the file) is longer than 16 KB',
    );
    expect((await preview(`${header}\n${','.repeat(10 * 1024 * 1024 - 200)}\n`)).page.text).to.contain(
      'The row starting on line 2 has more than 200 values',
    );
  });

  it('I4: a header of many unknown columns names only the first five, shortened, and counts the rest', async () => {
    await allow(true);
    const long = `a_very_long_column_name_${'x'.repeat(200)}`;
    const { page } = await preview(
      `${header},${long},${Array.from({ length: 150 }, (_, i) => `extra_${i}`).join(',')}\nX,,A,,B,01/01/2019,F,3,N,\n`,
    );
    expect(page.text).to.contain('This file cannot be imported');
    expect(page.text).to.contain(
      'Waypoint does not know: “a_very_long_column_name_xxxxxxxxxxxxxxx…”, “extra_0”, “extra_1”, “extra_2”, “extra_3” and 146 more.',
    );
    expect(page.text).not.to.contain('extra_4');
  });

  it('I4: thousands of problems are all counted by column; the first 100 of a column and 1,000 in all are listed, and the CSV says how many more', async () => {
    await allow(true);
    const columns =
      'mis_id,upn,legal_forename,surname,date_of_birth,sex,year_group,admission_date,ethnicity,looked_after,service_child,sen_status,sen_primary_need,attendance_percent';
    const lines = [columns, ...Array.from({ length: 300 }, (_, i) => `MANYBAD${i},BAD,,,x,x,x,x,x,x,x,x,x,x`)];
    const { url, page } = await preview(lines.join('\n'));
    // 13 problems in every row (upn, names, dates, codes...) and 299 repeated UPNs.
    expect(count(page.text, 'Errors')).to.equal(300 * 13 + 299);
    const rows = [
      ...page.text.matchAll(/<tr><td class="num">(\d+)<\/td><td>([^<]+)<\/td><td>([^<]+)<\/td><\/tr>/g),
    ].map((m) => [Number(m[1]), m[2]!, m[3]!] as const);
    const listed = rows.map((r) => r[1]);
    expect(listed).to.have.length(1000);
    // A bad value's words are the same the first time and when it is seen again (import-validate.ts remembers them).
    const problemsOf = (line: number) =>
      rows.filter(([r, , m]) => r === line && !m.includes('more than once')).map(([, c, m]) => `${c}: ${m}`);
    expect(problemsOf(2)).to.have.length(13);
    expect(problemsOf(3)).to.deep.equal(problemsOf(2));
    const perColumn = new Map<string, number>();
    for (const c of listed) perColumn.set(c, (perColumn.get(c) ?? 0) + 1);
    expect(Math.max(...perColumn.values())).to.equal(100);
    expect(page.text).to.contain(
      'Showing the first 1,000 of 4,199 problems: at most 100 for each column and 1,000 in all.',
    );
    expect(page.text).to.match(/<tr><th scope="row">upn<\/th><td class="num">599<\/td><\/tr>/);
    expect(page.text).to.match(/<tr><th scope="row">sex<\/th><td class="num">300<\/td><\/tr>/);
    const csv = parse((await admin.get(`${url}/errors.csv`)).text.replace(/^\ufeff/, '')) as string[][];
    expect(csv).to.have.length(1 + 1000 + 1);
    expect(csv.at(-1)![2]).to.contain('and 3199 more problems not listed (4199 in all)');
  });

  it('I4: the preview is stored at upload, so opening it does not read the file again', async () => {
    await allow(true);
    const { url, page } = await preview(`${header}\nSTORED1,,Sam,,Stored,01/01/2019,M,3,N,\n`);
    expect(count(page.text, 'New pupils')).to.equal(1);
    // If the preview parsed the file again, this would now be an error page.
    await app.database
      .su('import_files')
      .where({ id: url.split('/').at(-1) })
      .update({ content: Buffer.from('not,a,pupil,file\n') });
    const again = await admin.get(url);
    expect(count(again.text, 'New pupils')).to.equal(1);
    expect(again.text).to.contain('STORED1');
    await admin.post(`${url}/cancel`, {}, { tokenFrom: url });
    expect(
      (
        await app.database
          .su('import_files')
          .where({ id: url.split('/').at(-1) })
          .first()
      ).preview,
      'cleared once cancelled',
    ).to.equal(null);
  });

  it('I4: records changed since the preview: confirm writes nothing, keeps and shows the fresh preview, which can then be confirmed', async () => {
    await allow(true);
    const { url, page } = await preview(
      `${header}\nFRESH1,,Fay,,Fresh,01/01/2019,F,3,N,\nFRESH2,,Gil,,Fresh,01/01/2019,M,3,N,\n`,
    );
    expect(count(page.text, 'New pupils')).to.equal(2);
    // Someone adds FRESH2 in the meantime, so the file would now change it rather than add it.
    await app.database.su('pupils').insert({
      school_id: ids.oakfield,
      mis_id: 'FRESH2',
      legal_forename: 'Gil',
      surname: 'Other',
      date_of_birth: '2019-01-01',
      sex: 'M',
      year_group: '3',
    });
    const stale = await confirm(url, page.text);
    expect(stale.status).to.equal(409);
    expect(stale.text).to.contain('Pupil records changed since you looked at the preview');
    expect(count(stale.text, 'New pupils'), 'the fresh preview is shown').to.equal(1);
    expect(count(stale.text, 'Conflicts with edits made in Waypoint')).to.equal(1);
    expect(await app.database.su('pupils').where({ mis_id: 'FRESH1' })).to.have.length(0);
    expect(count((await admin.get(url)).text, 'New pupils'), 'and stored').to.equal(1);
    expect(fingerprintOf(stale.text)).not.to.equal(fingerprintOf(page.text));
    expect((await confirm(url, stale.text)).status).to.equal(303);
    expect(await app.database.su('pupils').where({ mis_id: 'FRESH1' })).to.have.length(1);
    expect(
      (
        await app.database
          .su('import_files')
          .where({ id: url.split('/').at(-1) })
          .first()
      ).preview,
      'cleared once applied',
    ).to.equal(null);
  });

  it('I4: while another import runs, an upload waits its turn for a bounded time, then gets a 503 asking to try again; nothing is stored', async () => {
    await allow(true);
    const before = Number((await app.database.su('import_files').count('* as n'))[0]!.n);
    const wait = importGate.options.maxWaitMs;
    let release!: () => void;
    const busy = importGate.run(() => new Promise<void>((resolve) => (release = resolve)));
    importGate.options.maxWaitMs = 300;
    try {
      const res = await upload(admin, `${header}\nBUSY1,,Bo,,Busy,01/01/2019,M,3,N,\n`);
      expect(res.status).to.equal(503);
      expect(res.text).to.contain('busy with another school’s MIS import');
      expect(res.text).to.contain('try again in a minute');
    } finally {
      importGate.options.maxWaitMs = wait;
      release();
      await busy;
    }
    expect(Number((await app.database.su('import_files').count('* as n'))[0]!.n)).to.equal(before);
    expect(
      (await upload(admin, `${header}\nBUSY1,,Bo,,Busy,01/01/2019,M,3,N,\n`)).status,
      'and then it works',
    ).to.equal(303);
  });

  it('I4: two files, too many fields, a long field or field name, an unexpected file field or a broken body get a 400 or 413 with a message', async () => {
    await allow(true);
    const csv = Buffer.from(`${header}\nX1,,A,,B,01/01/2019,F,3,N,\n`);
    const before = Number((await app.database.su('import_files').count('* as n'))[0]!.n);
    type Req = ReturnType<typeof admin.agent.post>;
    const form = (r: Req, fields: number) =>
      Array.from({ length: fields }).reduce<Req>((q, _, i) => q.field(`f${i}`, 'x'), r);
    const cases: [string, (r: Req) => Req, number, string][] = [
      [
        'two files',
        (r) => r.attach('file', csv, 'a.csv').attach('file', csv, 'b.csv'),
        400,
        'Upload one file at a time',
      ],
      ['11 fields', (r) => form(r, 10).attach('file', csv, 'a.csv'), 400, 'more fields than Waypoint expects'],
      [
        'a field over 1 KB',
        (r) => r.field('mode', 'x'.repeat(1025)).attach('file', csv, 'a.csv'),
        413,
        'longer than Waypoint accepts (1 KB)',
      ],
      [
        'a long field name',
        (r) => r.field('n'.repeat(200), 'x').attach('file', csv, 'a.csv'),
        413,
        'name was longer than Waypoint accepts',
      ],
      ['an unexpected file field', (r) => r.attach('other', csv, 'a.csv'), 400, 'a field Waypoint does not expect'],
    ];
    for (const [what, build, status, message] of cases) {
      const res = await build(
        admin.agent
          .post('/pupils/import')
          .set('Origin', origin)
          .field('_csrf', await admin.csrf('/pupils/import')),
      );
      expect(res.status, what).to.equal(status);
      expect(res.text, what).to.contain(message);
      expect(res.text, what).to.contain('Reference:');
      expect(res.text, what).to.contain('Nothing was saved');
    }
    const broken = await admin.agent
      .post('/pupils/import')
      .set('Origin', origin)
      .set('Content-Type', 'multipart/form-data; boundary=xyz')
      .send('--xyz\r\nContent-Disposition: form-data; name="mode"\r\n\r\nupdate\r\n--xy');
    expect(broken.status, 'a broken body').to.equal(400);
    expect(broken.text).to.contain('The upload could not be read');
    expect(Number((await app.database.su('import_files').count('* as n'))[0]!.n)).to.equal(before);
  });

  it('only a school admin may import', async () => {
    for (const email of ['head@oakfield.test', 'senco@oakfield.test', 'teacher@oakfield.test']) {
      expect((await (await app.signIn(email)).get('/pupils/import')).status, email).to.equal(403);
    }
  });
});
