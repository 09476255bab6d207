import { expect } from 'chai';
import { latestMail, linkIn, startTestApp, type TestApp } from '../helpers/app.js';
import { demoIds } from '../helpers/demo.js';
import { defaultTermDates, easterSunday } from '../../src/modules/assessments/defaults.js';

/** Issue 15, item 17: a new school's admin gets a first-run checklist; default terms follow the school year. */
describe('A new school: the first-run checklist and default term dates', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  it('default terms follow the English school year: Autumn from September, Spring to Easter, Summer after it', () => {
    expect(easterSunday(2026)).to.equal('2026-04-05');
    expect(easterSunday(2027)).to.equal('2027-03-28');
    expect(defaultTermDates(2025).map((t) => [t.name, t.starts_on, t.ends_on])).to.deep.equal([
      ['Autumn', '2025-09-01', '2025-12-31'],
      ['Spring', '2026-01-01', '2026-04-06'],
      ['Summer', '2026-04-07', '2026-08-31'],
    ]);
    // Every day of the year is in exactly one term.
    for (const year of [2024, 2025, 2026, 2027, 2030]) {
      const [a, s, su] = defaultTermDates(year);
      const next = (iso: string) => new Date(Date.parse(`${iso}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
      expect(next(a!.ends_on), String(year)).to.equal(s!.starts_on);
      expect(next(s!.ends_on), String(year)).to.equal(su!.starts_on);
    }
  });

  it('a new school’s admin sees what is left to set up instead of “not assigned to any class”, and steps tick off', async () => {
    const ids = await demoIds(app.database.su);
    const op = await app.signIn('operator@waypoint.test');
    const created = await op.post(
      '/operator/organisations',
      { kind: 'school', name: 'Brook Street Primary', phase: 'primary', trust_id: ids.trust, urn: '765432' },
      { tokenFrom: '/operator/organisations/new' },
    );
    expect(created.status).to.equal(303);
    const orgPath = created.headers.location as string;
    await op.post(
      `${orgPath}/admins`,
      { email: 'office@brookstreet.test', given_name: 'Bea', family_name: 'Brook' },
      { tokenFrom: orgPath },
    );
    const admin = app.browser();
    await admin.get(linkIn(latestMail(app.outboxDir, 'office@brookstreet.test'), '/invitations/'));
    const password = 'harbour thistle comet lantern';
    await admin.post(
      '/invitation',
      { given_name: 'Bea', family_name: 'Brook', password, confirm: password },
      { tokenFrom: '/invitation' },
    );
    const home = await admin.get('/');
    expect(home.status).to.equal(200);
    expect(home.text).to.contain('Setting up Waypoint for your school');
    expect(home.text).not.to.contain('You are not assigned to any class');
    expect(home.text).to.contain('0 of 5 done');
    for (const href of ['/frameworks', '/staff/invite', '/pupils/import', '/pupils/new', '/groups/new', '/settings'])
      expect(home.text, href).to.contain(`href="${href}"`);
    expect(home.text).to.contain('Autumn 2026');

    const group = await admin.post(
      '/groups',
      { name: '1 Ash', kind: 'class', year_group: '1' },
      { tokenFrom: '/groups/new' },
    );
    expect(group.status).to.equal(303);
    expect((await admin.get('/')).text).to.contain('1 of 5 done');

    // A school that is set up (the demo's) shows no checklist.
    const demoAdmin = await app.signIn('admin@oakfield.test');
    expect((await demoAdmin.get('/')).text).not.to.contain('Setting up Waypoint');
  });
});
