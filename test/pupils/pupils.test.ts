import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { type Browser, startTestApp, type TestApp } from '../helpers/app.js';
import { demoIds, type DemoIds } from '../helpers/demo.js';
import { unneutralise } from '../../src/modules/pupils/csv.js';
import type { Actor } from '../../src/policy/index.js';
import type { Tx } from '../../src/db/index.js';

const rowsIn = (html: string) => (html.match(/<tr>\s*<td><a href="\/pupils\/[0-9a-f-]{36}"/g) ?? []).length;
const countIn = (html: string) => Number(/<strong>(\d+)<\/strong> pupil/.exec(html)?.[1] ?? -1);

function csvRows(text: string): Record<string, string>[] {
  return (parse(text.replace(/^\ufeff/, ''), { columns: true }) as Record<string, string>[]).map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, unneutralise(v)])),
  );
}

const newPupil = (over: Record<string, string> = {}) => ({
  legal_forename: 'Test',
  surname: 'Pupil',
  date_of_birth: '14/02/2019',
  sex: 'F',
  year_group: '3',
  sen_status: 'N',
  ...over,
});

describe('Pupils: list, profile, edits, leavers, groups', () => {
  let app: TestApp;
  let ids: DemoIds;
  let admin: Browser;
  before(async () => {
    app = await startTestApp();
    ids = await demoIds(app.database.su);
    admin = await app.signIn('admin@oakfield.test');
  });
  after(() => app.close());

  const oakfieldOnRoll = async () =>
    Number(
      (await app.database.su('pupils').where({ school_id: ids.oakfield }).whereNull('leaving_date').count('* as n'))[0]!
        .n,
    );

  it('P11: the pupil list shows each role exactly the pupils the policy allows', async () => {
    const total = await oakfieldOnRoll();
    const expected: Record<string, number> = {
      'admin@oakfield.test': total,
      'head@oakfield.test': total,
      'dsl@oakfield.test': total,
      'senco@oakfield.test': total,
      'teacher@oakfield.test': 30,
      'ta@oakfield.test': 30,
    };
    for (const [email, n] of Object.entries(expected)) {
      const b = await app.signIn(email);
      const res = await b.get('/pupils');
      expect(res.status, email).to.equal(200);
      expect(countIn(res.text), email).to.equal(n);
    }
    for (const email of [
      'trust.admin@northstar.test',
      'parent@oakfield.test',
      'operator@waypoint.test',
      'officer@westshire.test',
    ]) {
      expect((await (await app.signIn(email)).get('/pupils')).status, email).to.equal(403);
    }
    const riverside = await (await app.signIn('head@riverside.test')).get('/pupils');
    const riversidePupil = await app.database.su('pupils').where({ school_id: ids.oakfield }).first();
    expect(riverside.text).not.to.contain(riversidePupil.upn);
  });

  it('finds pupils by name, UPN or MIS ID; htmx gets only the results; the URL keeps the state', async () => {
    const p = await app.database.su('pupils').where({ school_id: ids.oakfield }).orderBy('upn').first();
    for (const term of [p.surname.slice(0, 3), p.upn, p.mis_id, `${p.legal_forename} ${p.surname}`]) {
      const res = await admin.get(`/pupils?q=${encodeURIComponent(term)}`);
      expect(res.text, term).to.contain(`/pupils/${p.id}`);
    }
    const frag = await admin.get(`/pupils?q=${encodeURIComponent(p.upn)}`).set('HX-Request', 'true');
    expect(frag.text).not.to.contain('<h1>');
    expect(countIn(frag.text)).to.equal(1);
    expect(frag.headers.vary).to.contain('HX-Request');
    const none = await admin.get('/pupils?q=zzzzqqq');
    expect(none.text).to.contain('No pupils match');
    const wild = await admin.get('/pupils?q=%25');
    expect(countIn(wild.text), 'a % is searched for literally').to.equal(0);
  });

  it('filters by year, group, SEN, FSM/PP, EAL, looked-after, support flag and on-roll/left, and sorts and pages', async () => {
    const su = app.database.su;
    const count = async (where: (q: ReturnType<typeof su>) => unknown) => {
      const q = su('pupils as p').where('p.school_id', ids.oakfield).whereNull('p.leaving_date');
      where(q);
      return Number((await q.count('* as n'))[0]!.n);
    };
    expect(countIn((await admin.get('/pupils?year=3')).text)).to.equal(
      await count((q) => q.where('p.year_group', '3')),
    );
    const oak3 = (await su('groups').where({ school_id: ids.oakfield, name: '3 Oak' }).first()).id;
    expect(countIn((await admin.get(`/pupils?group=${oak3}`)).text)).to.equal(30);
    expect(countIn((await admin.get('/pupils?sen=any')).text)).to.equal(
      await count((q) => q.whereIn('p.sen_status', ['K', 'E'])),
    );
    expect(countIn((await admin.get('/pupils?sen=E')).text)).to.equal(await count((q) => q.where('p.sen_status', 'E')));
    expect(countIn((await admin.get('/pupils?eal=yes')).text)).to.equal(await count((q) => q.where('p.eal', true)));
    expect(countIn((await admin.get('/pupils?lac=yes')).text)).to.equal(
      await count((q) => q.where('p.looked_after', true)),
    );
    const fsmNow = await count((q) =>
      q.whereExists(
        su('pupil_fsm_periods as f')
          .whereRaw('f.pupil_id = p.id')
          .whereRaw('f.start_date <= current_date and (f.end_date is null or f.end_date >= current_date)'),
      ),
    );
    expect(countIn((await admin.get('/pupils?fsm=now')).text)).to.equal(fsmNow);
    const pp = countIn((await admin.get('/pupils?fsm=pp')).text);
    expect(pp).to.be.at.least(countIn((await admin.get('/pupils?fsm=ever6')).text));
    const flag = await su('support_flags').where({ school_id: ids.oakfield, name: 'Breakfast club' }).first();
    expect(countIn((await admin.get(`/pupils?flag=${flag.id}`)).text)).to.equal(
      Number((await su('pupil_support_flags').where({ flag_id: flag.id }).count('* as n'))[0]!.n),
    );

    const page1 = await admin.get('/pupils?sort=dob&dir=desc');
    expect(rowsIn(page1.text)).to.equal(50);
    expect(page1.text).to.contain('aria-sort="descending"');
    const dobs = [...page1.text.matchAll(/<td>(\d{2})\/(\d{2})\/(\d{4})<\/td>/g)].map((m) => `${m[3]}-${m[2]}-${m[1]}`);
    expect(dobs).to.deep.equal([...dobs].sort().reverse());
    const page2 = await admin.get('/pupils?sort=dob&dir=desc&page=2');
    expect(page2.text).to.contain('Page 2 of');
    expect(page2.text).to.match(
      /href="\/pupils\?sort=dob&amp;dir=desc"[^>]*rel="prev"|href="\/pupils\?sort=dob&amp;dir=desc&amp;page=1"/,
    );
  });

  it('P28: creating and editing record every change in the history and the audit log (field names only)', async () => {
    const invalid = await admin.post(
      '/pupils',
      newPupil({ legal_forename: '', upn: 'A801200005001', date_of_birth: '31/02/2019', surname: 'Keep Me' }),
      { tokenFrom: '/pupils/new' },
    );
    expect(invalid.status).to.equal(422);
    expect(invalid.text).to.contain('There is a problem');
    expect(invalid.text).to.contain('href="#f-legal_forename"');
    expect(invalid.text).to.contain('check letter does not match');
    expect(invalid.text).to.contain('31/02/2019 does not exist');
    expect(invalid.text).to.contain('value="Keep Me"');

    const created = await admin.post(
      '/pupils',
      newPupil({ surname: 'Historyton', mis_id: 'HIST1', sen_status: 'K', sen_primary_need: 'SLCN' }),
      { tokenFrom: '/pupils/new' },
    );
    expect(created.status).to.equal(303);
    const id = (created.headers.location as string).split('/').at(-1)!;
    const edit = await admin.get(`/pupils/${id}/edit`);
    const version = /name="version" value="(\d+)"/.exec(edit.text)![1]!;
    expect(edit.text).to.contain('value="14/02/2019"');
    const saved = await admin.post(
      `/pupils/${id}`,
      newPupil({
        surname: 'Historyton',
        mis_id: 'HIST1',
        sen_status: 'E',
        sen_primary_need: 'SLCN',
        attendance_percent: '97.5',
        version,
      }),
      { tokenFrom: `/pupils/${id}/edit` },
    );
    expect(saved.status).to.equal(303);
    const history = await app.database.su('pupil_history').where({ pupil_id: id }).orderBy('id');
    expect(history.map((h) => [h.field, h.old_value, h.new_value, h.source])).to.deep.equal([
      ['record', null, 'created', 'create'],
      ['sen_status', 'K', 'E', 'edit'],
      ['attendance_percent', null, '97.5', 'edit'],
    ]);
    expect(history[1].changed_by).to.equal(ids.user('admin@oakfield.test'));
    const profile = await admin.get(`/pupils/${id}`);
    expect(profile.text).to.contain('Change history');
    expect(profile.text).to.match(/sen status<\/td><td>K<\/td><td>E<\/td>/);
    const audit = await app.database.su('audit_events').where({ action: 'pupil.updated', entity_id: id }).first();
    expect(audit.fields).to.deep.equal(['sen_status', 'attendance_percent']);
    expect(JSON.stringify(audit)).not.to.match(/"E"|97\.5|SLCN/);
    const viewed = await app.database.su('audit_events').where({ action: 'pupil.viewed', entity_id: id });
    expect(viewed.length, 'every profile view is audited').to.be.greaterThan(0);
  });

  it('R5: a stale edit gets 409 with both versions, and nothing is overwritten', async () => {
    const p = await app.database.su('pupils').where({ school_id: ids.oakfield, year_group: '4' }).first();
    const edit = await admin.get(`/pupils/${p.id}/edit`);
    const version = /name="version" value="(\d+)"/.exec(edit.text)![1]!;
    const form = (surname: string) => ({
      legal_forename: p.legal_forename,
      surname,
      date_of_birth: p.date_of_birth,
      sex: p.sex,
      year_group: p.year_group,
      upn: p.upn,
      mis_id: p.mis_id,
      sen_status: p.sen_status,
      sen_primary_need: p.sen_primary_need ?? '',
      sen_secondary_need: p.sen_secondary_need ?? '',
      ethnicity: p.ethnicity ?? '',
      first_language: p.first_language ?? '',
      eal: p.eal ? 'Y' : 'N',
      attendance_percent: p.attendance_percent === null ? '' : String(p.attendance_percent),
      admission_date: p.admission_date ?? '',
      looked_after: p.looked_after ? 'Y' : undefined,
      service_child: p.service_child ? 'Y' : undefined,
      version,
    });
    const head = await app.signIn('head@oakfield.test');
    expect(
      (await head.post(`/pupils/${p.id}`, form('FirstSaver'), { tokenFrom: `/pupils/${p.id}/edit` })).status,
    ).to.equal(303);
    const stale = await admin.post(`/pupils/${p.id}`, form('SecondSaver'), { tokenFrom: `/pupils/${p.id}/edit` });
    expect(stale.status).to.equal(409);
    expect(stale.text).to.contain('nothing was saved');
    expect(stale.text).to.match(/surname<\/th><td>SecondSaver<\/td><td>FirstSaver<\/td>/);
    expect((await app.database.su('pupils').where({ id: p.id }).first()).surname).to.equal('FirstSaver');
    const newVersion = /name="version" value="(\d+)"/.exec(stale.text)![1]!;
    expect(Number(newVersion)).to.equal(Number(version) + 1);
    expect(
      (
        await admin.post(
          `/pupils/${p.id}`,
          { ...form('SecondSaver'), version: newVersion },
          { tokenFrom: `/pupils/${p.id}/edit` },
        )
      ).status,
    ).to.equal(303);
  });

  it('R4 and A2: double-submitting a new pupil makes one, and posted school_id or id fields are ignored', async () => {
    const token = await admin.csrf('/pupils/new');
    const form = {
      _csrf: token,
      ...newPupil({ surname: 'Doubleclick', submissionKey: '6f9c1a8e-1f40-4d7a-9d0e-6a3c0b1e2f44' }),
      school_id: ids.riverside,
      id: '6f9c1a8e-1f40-4d7a-9d0e-6a3c0b1e2f44',
      version: '99',
    };
    const results = await Promise.all(Array.from({ length: 10 }, () => admin.postRaw('/pupils', form)));
    for (const r of results) expect(r.status).to.equal(303);
    const rows = await app.database.su('pupils').where({ surname: 'Doubleclick' });
    expect(rows).to.have.length(1);
    expect(rows[0].school_id).to.equal(ids.oakfield);
    expect(rows[0].id).not.to.equal('6f9c1a8e-1f40-4d7a-9d0e-6a3c0b1e2f44');
    expect(rows[0].version).to.equal(1);
  });

  it('P5: UPNs are unique per school across current and former pupils', async () => {
    const leaver = await app.database
      .su('pupils')
      .where({ school_id: ids.oakfield })
      .whereNotNull('upn')
      .orderBy('upn', 'desc')
      .first();
    await app.database
      .su('pupils')
      .where({ id: leaver.id })
      .update({ leaving_date: '2025-07-20', leaving_reason: 'Moved away' });
    const res = await admin.post('/pupils', newPupil({ surname: 'Clash', upn: leaver.upn }), {
      tokenFrom: '/pupils/new',
    });
    expect(res.status).to.equal(422);
    expect(res.text).to.contain('already belongs to another pupil at this school, current or former');
    const otherSchool = await (
      await app.signIn('head@riverside.test')
    ).post('/pupils', newPupil({ surname: 'Elsewhere', upn: leaver.upn }), { tokenFrom: '/pupils/new' });
    expect(otherSchool.status, 'another school may hold the same UPN').to.equal(303);
  });

  it('leavers need a date and reason, drop out of lists, stay findable with “Left”, and can return', async () => {
    const p = await app.database
      .su('pupils')
      .where({ school_id: ids.oakfield, year_group: '6' })
      .whereNull('leaving_date')
      .orderBy('surname')
      .first();
    const profile = await admin.get(`/pupils/${p.id}`);
    const version = /name="version" value="(\d+)"/.exec(profile.text)![1]!;
    const missing = await admin.post(
      `/pupils/${p.id}/leave`,
      { version, leaving_date: '', leaving_reason: '' },
      { tokenFrom: `/pupils/${p.id}` },
    );
    expect(missing.status).to.equal(422);
    expect(missing.text).to.contain('Enter the leaving date');
    expect(missing.text).to.contain('Enter the reason for leaving');
    const yesterday = new Date(Date.now() - 86400000).toISOString().slice(0, 10);
    // R5: someone else changed the record meanwhile; nothing is saved and what was typed is kept.
    await app.database.su('pupils').where({ id: p.id }).increment('version', 1);
    const stale = await admin.post(
      `/pupils/${p.id}/leave`,
      { version, leaving_date: yesterday, leaving_reason: 'Moved to Scotland' },
      { tokenFrom: `/pupils/${p.id}` },
    );
    expect(stale.status).to.equal(409);
    expect(stale.text).to.contain('Someone else changed this pupil');
    expect(stale.text).to.contain('value="Moved to Scotland"');
    expect(stale.text).to.contain(`name="version" value="${Number(version) + 1}"`);
    expect((await app.database.su('pupils').where({ id: p.id }).first()).leaving_date).to.equal(null);
    expect(
      (
        await admin.post(
          `/pupils/${p.id}/leave`,
          { version: String(Number(version) + 1), leaving_date: yesterday, leaving_reason: 'Moved to Scotland' },
          { tokenFrom: `/pupils/${p.id}` },
        )
      ).status,
    ).to.equal(303);
    expect((await admin.get(`/pupils?q=${p.mis_id}`)).text).not.to.contain(`/pupils/${p.id}`);
    expect((await admin.get(`/pupils?q=${p.mis_id}&status=left`)).text).to.contain(`/pupils/${p.id}`);
    const history = await app.database.su('pupil_history').where({ pupil_id: p.id, source: 'leaver' });
    expect(history.map((h) => h.field).sort()).to.deep.equal(['leaving_date', 'leaving_reason']);
    const v2 = /name="version" value="(\d+)"/.exec((await admin.get(`/pupils/${p.id}`)).text)![1]!;
    expect(
      (await admin.post(`/pupils/${p.id}/return`, { version: v2 }, { tokenFrom: `/pupils/${p.id}` })).status,
    ).to.equal(303);
    expect((await admin.get(`/pupils?q=${p.mis_id}`)).text).to.contain(`/pupils/${p.id}`);
  });

  it('P29: a restricted pupil is read-only for every role, in the app and in the database', async () => {
    const p = await app.database.su('pupils').where({ school_id: ids.oakfield, year_group: '2' }).first();
    await app.database.su('pupils').where({ id: p.id }).update({ restricted_at: app.database.su.fn.now() });
    try {
      const profile = await admin.get(`/pupils/${p.id}`);
      expect(profile.status).to.equal(200);
      expect(profile.text).to.contain('Restricted: read-only');
      expect(profile.text).not.to.contain(`/pupils/${p.id}/edit`);
      const head = await app.signIn('head@oakfield.test');
      expect((await head.get(`/pupils/${p.id}/edit`)).status).to.equal(403);
      expect(
        (
          await head.post(
            `/pupils/${p.id}/contacts`,
            { name: 'X', relationship: 'Aunt', priority: '3' },
            { tokenFrom: `/pupils/${p.id}` },
          )
        ).status,
      ).to.equal(403);
      expect(
        (
          await head.post(
            `/pupils/${p.id}/leave`,
            { version: String(p.version), leaving_date: '01/01/2026', leaving_reason: 'x' },
            { tokenFrom: `/pupils/${p.id}` },
          )
        ).status,
      ).to.equal(403);
      const exported = await admin.get('/pupils/export.csv?year=2');
      expect(exported.text, 'restricted pupils are left out of exports').not.to.contain(p.mis_id);
      const { db } = app.database;
      const changed = await db.withActor(
        { kind: 'staff', userId: ids.user('head@oakfield.test'), schoolId: ids.oakfield, roles: ['head'], meta: {} },
        (trx) => trx('pupils').where({ id: p.id }).update({ surname: 'Bypass' }),
      );
      expect(changed, 'RLS refuses the update too').to.equal(0);
      // And every table about the pupil: contacts, FSM periods, flags, notes and note text.
      const head_: Actor = {
        kind: 'staff',
        userId: ids.user('head@oakfield.test'),
        schoolId: ids.oakfield,
        roles: ['head'],
        meta: {},
      };
      const refused = async (work: (trx: Tx) => Promise<unknown>) => {
        try {
          const n = await db.withActor(head_, work);
          return n === 0;
        } catch (err) {
          return /row-level security/.test(String(err));
        }
      };
      const row = { school_id: ids.oakfield, pupil_id: p.id };
      expect(
        await refused((trx) =>
          trx('pupil_contacts').insert({ ...row, name: 'Bypass', relationship: 'Aunt', priority: 3 }),
        ),
      ).to.equal(true);
      expect(await refused((trx) => trx('pupil_fsm_periods').insert({ ...row, start_date: '2026-01-01' }))).to.equal(
        true,
      );
      const flag = await app.database.su('support_flags').where({ school_id: ids.oakfield }).first();
      expect(
        await refused((trx) =>
          trx('pupil_support_flags').insert({ ...row, flag_id: flag.id, start_date: '2026-01-01' }),
        ),
      ).to.equal(true);
      expect(
        await refused((trx) => trx('pupil_contacts').where({ pupil_id: p.id }).update({ name: 'Bypass' })),
      ).to.equal(true);
      expect(await refused((trx) => trx('pupil_contacts').where({ pupil_id: p.id }).del())).to.equal(true);
      const [note] = await app.database
        .su('notes')
        .insert({ ...row, author_id: ids.user('head@oakfield.test'), sensitivity: 'standard' })
        .returning('id');
      await app.database.su('note_bodies').insert({ school_id: ids.oakfield, note_id: note.id, body: 'Original' });
      expect(
        await refused((trx) => trx('notes').where({ id: note.id }).update({ sensitivity: 'restricted' })),
      ).to.equal(true);
      expect(
        await refused((trx) => trx('note_bodies').where({ note_id: note.id }).update({ body: 'Bypass' })),
      ).to.equal(true);
      expect((await app.database.su('note_bodies').where({ note_id: note.id }).first()).body).to.equal('Original');
      await app.database.su('note_bodies').where({ note_id: note.id }).del();
      await app.database.su('notes').where({ id: note.id }).del();
    } finally {
      await app.database.su('pupils').where({ id: p.id }).update({ restricted_at: null });
    }
  });

  it('R4: a contact, an FSM period or a flag submitted twice at once (or kept when an error is fixed) is added once', async () => {
    const p = await app.database.su('pupils').where({ school_id: ids.oakfield, year_group: '5' }).first();
    const url = `/pupils/${p.id}`;
    const page = await admin.get(url);
    const keyOf = (action: string) =>
      new RegExp(`action="${url}/${action}"[\\s\\S]*?name="submissionKey" value="([0-9a-f-]{36})"`).exec(
        page.text,
      )![1]!;
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const flag = await app.database
      .su('support_flags')
      .where({ school_id: ids.oakfield, name: 'Breakfast club' })
      .first();
    // The flag form comes back with an error first; the fixed form keeps its key.
    const withError = await admin.postRaw(`${url}/flags`, {
      _csrf: token,
      submissionKey: keyOf('flags'),
      flag_id: flag.id,
      start_date: '31/02/2026',
    });
    expect(withError.status).to.equal(422);
    expect(withError.text).to.contain(`value="${keyOf('flags')}"`);
    const forms: [string, Record<string, string>][] = [
      ['contacts', { name: 'Twice Sent', relationship: 'Uncle', priority: '5' }],
      ['fsm', { start_date: '01/09/2026' }],
      ['flags', { flag_id: flag.id, start_date: '01/09/2026' }],
    ];
    for (const [action, form] of forms) {
      const sent = await Promise.all(
        Array.from({ length: 5 }, () =>
          admin.postRaw(`${url}/${action}`, { _csrf: token, submissionKey: keyOf(action), ...form }),
        ),
      );
      expect(
        sent.map((r) => r.status),
        action,
      ).to.deep.equal([303, 303, 303, 303, 303]);
    }
    expect(await app.database.su('pupil_contacts').where({ pupil_id: p.id, name: 'Twice Sent' })).to.have.length(1);
    expect(
      await app.database.su('pupil_fsm_periods').where({ pupil_id: p.id, start_date: '2026-09-01' }),
    ).to.have.length(1);
    expect(
      await app.database
        .su('pupil_support_flags')
        .where({ pupil_id: p.id, flag_id: flag.id, start_date: '2026-09-01' }),
    ).to.have.length(1);
  });

  it('contacts, FSM periods and support flags are added, changed and ended with history; Pupil Premium follows FSM', async () => {
    const p = await app.database
      .su('pupils')
      .where({ school_id: ids.oakfield, year_group: '1' })
      .whereNotExists(app.database.su('pupil_fsm_periods as f').whereRaw('f.pupil_id = pupils.id'))
      .where({ looked_after: false, service_child: false })
      .first();
    const url = `/pupils/${p.id}`;
    const bad = await admin.post(
      `${url}/contacts`,
      { name: '', relationship: 'Aunt', priority: '0' },
      { tokenFrom: url },
    );
    expect(bad.status).to.equal(422);
    expect(bad.text).to.contain('Enter the contact’s name');
    expect(bad.text).to.contain('Priority must be from 1 to 99');
    expect(
      (
        await admin.post(
          `${url}/contacts`,
          {
            name: 'Rosa Diaz',
            relationship: 'Aunt',
            phone: '07700 900123',
            address: '1 High St\nWestshire',
            priority: '3',
          },
          { tokenFrom: url },
        )
      ).status,
    ).to.equal(303);
    const contact = await app.database.su('pupil_contacts').where({ pupil_id: p.id, name: 'Rosa Diaz' }).first();
    const editPage = await admin.get(`${url}/contacts/${contact.id}/edit`);
    expect(editPage.text).to.contain('Rosa Diaz');
    expect(
      (
        await admin.post(
          `${url}/contacts/${contact.id}`,
          {
            name: 'Rosa Diaz',
            relationship: 'Aunt',
            phone: '07700 900999',
            address: '1 High St\nWestshire',
            priority: '1',
            version: String(contact.version),
          },
          { tokenFrom: url },
        )
      ).status,
    ).to.equal(303);
    const stale = await admin.post(
      `${url}/contacts/${contact.id}`,
      { name: 'Rosa D', relationship: 'Aunt', priority: '1', version: String(contact.version) },
      { tokenFrom: url },
    );
    expect(stale.status).to.equal(409);
    // R5: what was typed is kept in the form, and both versions are shown side by side.
    expect(stale.text).to.contain('value="Rosa D"');
    expect(stale.text).to.match(/<th scope="row">Name<\/th><td>Rosa D<\/td><td>Rosa Diaz<\/td>/);
    expect(stale.text).to.match(/<th scope="row">Phone<\/th><td>\(blank\)<\/td><td>07700 900999<\/td>/);
    expect(stale.text).to.contain(`name="version" value="${contact.version + 1}"`);
    expect(
      (await app.database.su('pupil_contacts').where({ id: contact.id }).first()).name,
      'nothing overwritten',
    ).to.equal('Rosa Diaz');

    expect((await admin.get(url)).text).to.contain('Pupil Premium</dt><dd>No');
    // Eligibility that starts next term is not Ever-6 yet, on the profile or in the list filters.
    const [future] = await app.database
      .su('pupil_fsm_periods')
      .insert({ school_id: ids.oakfield, pupil_id: p.id, start_date: app.database.su.raw(`current_date + 30`) })
      .returning('id');
    expect((await admin.get(url)).text).to.contain('Pupil Premium</dt><dd>No');
    expect((await admin.get(`/pupils?q=${p.mis_id}`)).text).to.contain(`href="/pupils/${p.id}"`);
    for (const fsm of ['now', 'ever6', 'pp'])
      expect((await admin.get(`/pupils?q=${p.mis_id}&fsm=${fsm}`)).text, fsm).not.to.contain(`href="/pupils/${p.id}"`);
    await app.database.su('pupil_fsm_periods').where({ id: future.id }).del();
    expect(
      (await admin.post(`${url}/fsm`, { start_date: '01/09/2024', end_date: '' }, { tokenFrom: url })).status,
    ).to.equal(303);
    const after = (await admin.get(url)).text;
    expect(after).to.contain('Eligible now');
    expect(after).to.contain('Pupil Premium</dt><dd>Yes');
    const period = await app.database.su('pupil_fsm_periods').where({ pupil_id: p.id }).first();
    expect(
      (await admin.post(`${url}/fsm/${period.id}/end`, { end_date: '01/01/2020' }, { tokenFrom: url })).status,
    ).to.equal(409);
    expect(
      (await admin.post(`${url}/fsm/${period.id}/end`, { end_date: '20/07/2025' }, { tokenFrom: url })).status,
    ).to.equal(303);
    expect((await admin.get(url)).text).to.contain('Not eligible now; eligible in the last six years (Ever-6)');

    const flag = await app.database
      .su('support_flags')
      .where({ school_id: ids.oakfield, name: 'Clothing grant' })
      .first();
    expect(
      (await admin.post(`${url}/flags`, { flag_id: flag.id, start_date: '02/09/2026' }, { tokenFrom: url })).status,
    ).to.equal(303);
    const pupilFlag = await app.database.su('pupil_support_flags').where({ pupil_id: p.id, flag_id: flag.id }).first();
    expect(
      (await admin.post(`${url}/flags/${pupilFlag.id}/end`, { end_date: '30/10/2026' }, { tokenFrom: url })).status,
    ).to.equal(303);
    expect((await admin.post(`${url}/contacts/${contact.id}/remove`, {}, { tokenFrom: url })).status).to.equal(303);

    const fields = (await app.database.su('pupil_history').where({ pupil_id: p.id }).orderBy('id')).map((h) => h.field);
    expect(fields).to.deep.equal([
      'contact',
      'contact phone',
      'contact priority',
      'fsm_periods',
      'fsm_periods',
      'support flag: Clothing grant',
      'support flag: Clothing grant',
      'contact',
    ]);
    const actions = (
      await app.database.su('audit_events').where({ entity_id: p.id }).orderBy('id').pluck('action')
    ).filter((a: string) => a !== 'pupil.viewed' && a !== 'assessment.viewed');
    expect(actions).to.deep.equal([
      'pupil.contact_added',
      'pupil.contact_updated',
      'pupil.fsm_changed',
      'pupil.fsm_changed',
      'pupil.flag_added',
      'pupil.flag_ended',
      'pupil.contact_removed',
    ]);
    // L2: a flag's name says something about the child, so the audit log names it by id only.
    const flagRows = await app.database
      .su('audit_events')
      .where({ entity_id: p.id })
      .whereIn('action', ['pupil.flag_added', 'pupil.flag_ended']);
    expect(flagRows.map((r) => r.meta)).to.deep.equal([{ flagId: flag.id }, { flagId: flag.id }]);
    expect(JSON.stringify(await app.database.su('audit_events').where({ entity_id: p.id }))).to.not.contain(
      'Clothing grant',
    );
  });

  it('the one-page print view has the characteristics and contacts', async () => {
    const p = await app.database.su('pupils').where({ school_id: ids.oakfield }).first();
    const res = await admin.get(`/pupils/${p.id}/print`);
    expect(res.status).to.equal(200);
    expect(res.text).to.contain('Confidential');
    expect(res.text).to.contain('<h2>Contacts</h2>');
    expect(res.headers['cache-control']).to.equal('no-store');
  });

  it('I3: the CSV export is exactly the filtered list, RFC 4180, formula-safe, and audited', async () => {
    const res = await admin.get('/pupils/export.csv?year=5&sort=name');
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.contain('text/csv');
    expect(res.headers['content-disposition']).to.match(/attachment; filename="pupils-\d{4}-\d{2}-\d{2}\.csv"/);
    const rows = csvRows(res.text);
    const list = await admin.get('/pupils?year=5');
    expect(rows.length).to.equal(countIn(list.text));
    expect(rows.every((r) => r.year_group === '5')).to.equal(true);
    expect(Object.keys(rows[0]!)).to.include.members([
      'mis_id',
      'upn',
      'legal_forename',
      'surname',
      'date_of_birth',
      'sen_status',
      'fsm_periods',
      'pupil_premium',
    ]);
    const created = await admin.post(
      '/pupils',
      newPupil({
        surname: '=HYPERLINK("http://evil.example","click")',
        legal_forename: '+SUM(1,2)',
        year_group: '5',
        first_language: '@cmd',
      }),
      { tokenFrom: '/pupils/new' },
    );
    expect(created.status).to.equal(303);
    const again = await admin.get('/pupils/export.csv?year=5');
    expect(again.text).to.contain(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
    expect(again.text).to.contain("'+SUM(1,2)");
    expect(again.text).to.contain("'@cmd");
    expect(again.text).not.to.match(/(^|,)=HYPERLINK/m);
    const audit = await app.database
      .su('audit_events')
      .where({ action: 'pupil.exported' })
      .orderBy('id', 'desc')
      .first();
    expect(audit.meta.rows).to.equal(rows.length + 1);
    const teacher = await app.signIn('teacher@oakfield.test');
    expect(csvRows((await teacher.get('/pupils/export.csv')).text)).to.have.length(30);
    expect((await (await app.signIn('ta@oakfield.test')).get('/pupils/export.csv')).status).to.equal(403);
  });

  it('groups: a leader creates a class, adds pupils and a teacher, who then sees exactly those pupils', async () => {
    const created = await admin.post(
      '/groups',
      { name: 'Phonics catch-up', kind: 'intervention', year_group: '2' },
      { tokenFrom: '/groups/new' },
    );
    expect(created.status).to.equal(303);
    const groupUrl = created.headers.location as string;
    const candidates = await admin.get(`${groupUrl}?add=1&add_year=2`);
    const pupilIds = [...candidates.text.matchAll(/name="pupilIds" value="([0-9a-f-]{36})"/g)]
      .slice(0, 4)
      .map((m) => m[1]!);
    expect(pupilIds).to.have.length(4);
    expect((await admin.post(`${groupUrl}/members`, { pupilIds }, { tokenFrom: groupUrl })).status).to.equal(303);
    expect(
      (
        await admin.post(
          `${groupUrl}/staff`,
          { userId: ids.user('teacher@riverside.test'), role: 'teacher' },
          { tokenFrom: groupUrl },
        )
      ).status,
      'not staff at this school',
    ).to.equal(404);
    expect(
      (
        await admin.post(
          `${groupUrl}/staff`,
          { userId: ids.user('ta@oakfield.test'), role: 'teaching_assistant' },
          { tokenFrom: groupUrl },
        )
      ).status,
    ).to.equal(303);
    const ta = await app.signIn('ta@oakfield.test');
    const list = await ta.get(`/pupils?group=${groupUrl.split('/').at(-1)}`);
    expect(countIn(list.text)).to.equal(4);
    expect((await ta.get('/pupils')).text).to.contain(`/pupils/${pupilIds[0]}`);
    expect(
      (await admin.post(`${groupUrl}/members/${pupilIds[0]}/remove`, {}, { tokenFrom: groupUrl })).status,
    ).to.equal(303);
    expect((await ta.get(`/pupils/${pupilIds[0]}`)).status, 'no longer visible to the TA').to.equal(404);
    // Archiving the group (the intervention has finished) ends the TA's access through it, in the
    // app and in row-level security.
    const groupId = groupUrl.split('/').at(-1)!;
    const elsewhere: string[] = await app.database
      .su('group_members as gm')
      .join('group_staff as gs', 'gs.group_id', 'gm.group_id')
      .where('gs.user_id', ids.user('ta@oakfield.test'))
      .whereNot('gm.group_id', groupId)
      .pluck('gm.pupil_id');
    const onlyHere = pupilIds.slice(1).find((id) => !elsewhere.includes(id))!;
    expect((await ta.get(`/pupils/${onlyHere}`)).status).to.equal(200);
    const { version } = await app.database.su('groups').where({ id: groupId }).first('version');
    expect(
      (
        await admin.post(
          groupUrl,
          { name: 'Phonics catch-up', kind: 'intervention', year_group: '2', archived: 'on', version: String(version) },
          { tokenFrom: `${groupUrl}/edit` },
        )
      ).status,
    ).to.equal(303);
    expect((await ta.get(`/pupils/${onlyHere}`)).status, 'an archived group gives no access').to.equal(404);
    expect((await ta.get(groupUrl)).status).to.equal(403);
    expect((await admin.get(groupUrl)).status, 'leaders still see it').to.equal(200);
    const seen = await app.database.db.withActor(
      {
        kind: 'staff',
        userId: ids.user('ta@oakfield.test'),
        schoolId: ids.oakfield,
        roles: ['teaching_assistant'],
        meta: {},
      },
      (trx) => trx('pupils').where({ id: onlyHere }).select('id'),
    );
    expect(seen, 'RLS agrees').to.deep.equal([]);
    const senco = await app.signIn('senco@oakfield.test');
    expect(
      (
        await senco.post(
          `${groupUrl}/staff`,
          { userId: ids.user('ta@oakfield.test'), role: 'teacher' },
          { tokenFrom: groupUrl },
        )
      ).status,
      'SENCos manage members, not staffing',
    ).to.equal(403);
    const teacher = await app.signIn('teacher@oakfield.test');
    expect((await teacher.post('/groups', { name: 'Mine', kind: 'set' }, { tokenFrom: '/' })).status).to.equal(403);
  });

  it('support flags are defined by the school and archived, not deleted', async () => {
    const dup = await admin.post('/support-flags', { name: 'breakfast club' }, { tokenFrom: '/support-flags' });
    expect(dup.status).to.equal(422);
    expect(dup.text).to.contain('already a flag called');
    expect(
      (
        await admin.post(
          '/support-flags',
          { name: 'Homework club', description: 'After school, Tuesdays' },
          { tokenFrom: '/support-flags' },
        )
      ).status,
    ).to.equal(303);
    const flag = await app.database.su('support_flags').where({ name: 'Homework club' }).first();
    expect(
      (await admin.post(`/support-flags/${flag.id}/archive`, {}, { tokenFrom: '/support-flags' })).status,
    ).to.equal(303);
    expect((await app.database.su('support_flags').where({ id: flag.id }).first()).archived_at).to.not.equal(null);
    expect((await (await app.signIn('teacher@oakfield.test')).get('/support-flags')).status).to.equal(403);
  });
});
