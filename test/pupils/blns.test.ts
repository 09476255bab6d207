import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { type Browser, startTestApp, type TestApp } from '../helpers/app.js';
import { acceptable, contactTextFields, escapeHtml, naughtyStrings, pupilTextFields } from '../helpers/blns.js';
import { unneutralise } from '../../src/modules/pupils/csv.js';

/**
 * I1: every pupil text field is fed every naughty string. What is accepted round-trips exactly
 * (create → profile page → CSV export); what cannot be stored is refused with a message next to the
 * field and the typed value kept in the form.
 */
describe('I1: the Big List of Naughty Strings through every pupil text field', function () {
  this.timeout(240_000);
  let app: TestApp;
  let admin: Browser;
  let token: string;
  const created = new Map<number, string>();

  before(async () => {
    app = await startTestApp();
    admin = await app.signIn('admin@oakfield.test');
    token = await admin.csrf('/pupils/new');
  });
  after(() => app.close());

  const pupilForm = (s: string, i: number) => {
    const form: Record<string, string> = {
      _csrf: token,
      date_of_birth: '01/02/2019',
      sex: 'U',
      year_group: '4',
      sen_status: 'N',
    };
    for (const [field, rule] of Object.entries(pupilTextFields))
      form[field] = acceptable(s, rule) ? s : rule.required ? `Fallback${i}` : '';
    if (form.mis_id === '' || !acceptable(s, pupilTextFields.mis_id!)) form.mis_id = `BLNS-${i}`;
    else form.mis_id = `${i}:${s}`.slice(0, 64);
    return form;
  };

  it('I1: each string is stored exactly, shown escaped on the profile, and exported unchanged', async () => {
    expect(naughtyStrings.length).to.be.greaterThan(400);
    const problems: string[] = [];
    for (const [i, s] of naughtyStrings.entries()) {
      const form = pupilForm(s, i);
      const res = await admin.postRaw('/pupils', form);
      if (res.status !== 303) {
        problems.push(`#${i} create: ${res.status}`);
        continue;
      }
      const id = (res.headers.location as string).split('/').at(-1)!;
      created.set(i, id);
      const contact: Record<string, string> = { _csrf: token, priority: '1' };
      for (const [field, rule] of Object.entries(contactTextFields))
        contact[field] = acceptable(s, rule) ? s : rule.required ? 'Fallback' : '';
      const c = await admin.postRaw(`/pupils/${id}/contacts`, contact);
      if (c.status !== 303) problems.push(`#${i} contact: ${c.status}`);

      const stored = await app.database.su('pupils').where({ id }).first();
      const storedContact = await app.database.su('pupil_contacts').where({ pupil_id: id }).first();
      for (const field of Object.keys(pupilTextFields)) {
        if ((stored[field] ?? '') !== form[field])
          problems.push(`#${i} ${field} stored as ${JSON.stringify(stored[field])}`);
      }
      for (const field of Object.keys(contactTextFields)) {
        if ((storedContact?.[field] ?? '') !== contact[field])
          problems.push(`#${i} contact ${field} stored as ${JSON.stringify(storedContact?.[field])}`);
      }
      // The leaving reason too: mark the pupil as left with the string as the reason.
      const reason = acceptable(s, { max: 200, required: true }) ? s : `Fallback reason ${i}`;
      const left = await admin.postRaw(`/pupils/${id}/leave`, {
        _csrf: token,
        version: String(stored.version),
        leaving_date: '01/09/2026',
        leaving_reason: reason,
      });
      if (left.status !== 303) problems.push(`#${i} leave: ${left.status}`);
      const leaving = await app.database.su('pupils').where({ id }).first('leaving_reason');
      if (leaving.leaving_reason !== reason)
        problems.push(`#${i} leaving_reason stored as ${JSON.stringify(leaving.leaving_reason)}`);

      const page = await admin.get(`/pupils/${id}`);
      const shown = [
        ...Object.keys(pupilTextFields).map((f) => stored[f]),
        ...Object.keys(contactTextFields).map((f) => storedContact?.[f]),
        reason,
      ];
      for (const value of shown.filter((v) => typeof v === 'string' && v.trim() !== '')) {
        if (!page.text.includes(escapeHtml(value)))
          problems.push(`#${i} profile does not show ${JSON.stringify(value)} escaped`);
      }
      if (/<script>alert|<img src=x onerror/i.test(page.text)) problems.push(`#${i} raw markup in the page`);
    }
    expect(problems).to.deep.equal([]);

    const csv = await admin.get('/pupils/export.csv?status=all&year=4');
    const rows = (
      parse(csv.text.replace(/^\ufeff/, ''), { columns: true, relax_quotes: false }) as Record<string, string>[]
    ).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, unneutralise(v)])));
    const byMis = new Map(rows.map((r) => [r.mis_id, r]));
    for (const [i, s] of naughtyStrings.entries()) {
      if (!created.has(i)) continue;
      const form = pupilForm(s, i);
      const row = byMis.get(form.mis_id!);
      if (!row) {
        problems.push(`#${i} missing from the export`);
        continue;
      }
      for (const field of Object.keys(pupilTextFields))
        if (row[field] !== form[field]) problems.push(`#${i} ${field} exported as ${JSON.stringify(row[field])}`);
      const reason = acceptable(s, { max: 200, required: true }) ? s : `Fallback reason ${i}`;
      if (row.leaving_reason !== reason)
        problems.push(`#${i} leaving_reason exported as ${JSON.stringify(row.leaving_reason)}`);
    }
    expect(problems).to.deep.equal([]);
  });

  it('I1 and I4: values that cannot be stored are refused next to their field, and what was typed is kept', async () => {
    const tooLong = naughtyStrings.find((s) => [...s].length > 100)!;
    const spaces = naughtyStrings.find((s) => s !== '' && s.trim() === '')!;
    for (const [field, value, message] of [
      ['surname', tooLong, 'Surname must be 100 characters or fewer'],
      ['legal_forename', spaces, 'Enter a legal first name'],
      ['surname', 'nul\u0000byte', 'cannot be stored'],
    ] as const) {
      const res = await admin.postRaw('/pupils', {
        _csrf: token,
        legal_forename: 'Kept',
        surname: 'Kept',
        date_of_birth: '01/02/2019',
        sex: 'F',
        year_group: '3',
        [field]: value,
      });
      expect(res.status, field).to.equal(422);
      expect(res.text).to.contain(`href="#f-${field}"`);
      expect(res.text).to.contain(message);
      if (!value.includes('\u0000')) expect(res.text).to.contain(`value="${escapeHtml(value)}"`);
    }
  });
});
