import { expect } from 'chai';
import { startTestApp, type Browser, type TestApp } from '../helpers/app.js';
import { demoIds, type DemoIds } from '../helpers/demo.js';

const countIn = (html: string) => Number(/<strong>(\d+)<\/strong> pupil/.exec(html)?.[1] ?? -1);

/** Staff finding pupils and classes: search, year groups, school order, links they can open (issue 15). */
describe('Pupils: finding pupils and classes', () => {
  let app: TestApp;
  let ids: DemoIds;
  let admin: Browser;
  before(async () => {
    app = await startTestApp();
    ids = await demoIds(app.database.su);
    admin = await app.signIn('admin@oakfield.test');
  });
  after(() => app.close());

  it('finds a pupil by "Surname, Forename" as lists write it, by either order, and by lower-case UPN or MIS ID', async () => {
    const su = app.database.su;
    const p = await su('pupils')
      .where({ school_id: ids.oakfield })
      .whereNotNull('upn')
      .whereNotNull('mis_id')
      .orderBy('upn')
      .first();
    await su('pupils').where({ id: p.id }).update({ mis_id: 'Sample-Find-001' });
    for (const term of [
      `${p.surname}, ${p.legal_forename}`,
      `${p.legal_forename} ${p.surname}`,
      `${p.surname.toLowerCase()},${p.legal_forename.toLowerCase()}`,
      p.upn.toLowerCase(),
      'sample-find-001',
      'SAMPLE-FIND-001',
    ]) {
      const res = await admin.get(`/pupils?q=${encodeURIComponent(term)}`);
      expect(res.text, term).to.contain(`/pupils/${p.id}`);
    }
    expect(countIn((await admin.get(`/pupils?q=${encodeURIComponent(p.upn.toLowerCase())}`)).text)).to.equal(1);

    // The class page's "add pupils" search takes names the same way.
    const other = await su('groups')
      .where({ school_id: ids.oakfield, kind: 'class' })
      .whereNot('year_group', p.year_group)
      .first();
    const add = await admin.get(
      `/groups/${other.id}?add=1&add_year=${p.year_group}&add_q=${encodeURIComponent(`${p.surname}, ${p.legal_forename}`)}`,
    );
    expect(add.status).to.equal(200);
    expect(add.text).to.contain(p.id);
  });

  /** The labels of a select's options, in order. */
  const optionsOf = (html: string, name: string) => {
    const select = new RegExp(`<select[^>]*name="${name}"[^>]*>([\\s\\S]*?)</select>`).exec(html)?.[1] ?? '';
    return [...select.matchAll(/<option[^>]*>([^<]*)<\/option>/g)].map((m) => m[1]!.trim());
  };
  /** Where each name first appears on the page. */
  const positions = (html: string, names: string[], after = '<') => names.map((n) => html.indexOf(`>${n}${after}`));

  it("offers the school's own year groups: its phase and the years its pupils are in", async () => {
    const primary = optionsOf((await admin.get('/pupils')).text, 'year');
    expect(primary).to.deep.equal([
      'All years',
      'Reception',
      'Year 1',
      'Year 2',
      'Year 3',
      'Year 4',
      'Year 5',
      'Year 6',
    ]);
    const secondary = optionsOf((await (await app.signIn('head@hillcrest.test')).get('/pupils')).text, 'year');
    expect(secondary).to.deep.equal(['All years', 'Year 7', 'Year 8', 'Year 9', 'Year 10', 'Year 11']);

    const oak3 = await app.database.su('groups').where({ school_id: ids.oakfield, name: '3 Oak' }).first();
    const add = await admin.get(`/groups/${oak3.id}?add=1`);
    expect(optionsOf(add.text, 'add_year')).to.deep.equal(primary);
    expect(optionsOf((await admin.get('/groups/new')).text, 'year_group')).to.deep.equal([
      'Mixed or none',
      ...primary.slice(1),
    ]);

    // A nursery pupil joins: the school now has a Nursery, and it is offered first.
    const p = await app.database.su('pupils').where({ school_id: ids.oakfield, year_group: 'R' }).first();
    await app.database.su('pupils').where({ id: p.id }).update({ year_group: 'N' });
    try {
      expect(optionsOf((await admin.get('/pupils')).text, 'year').slice(0, 3)).to.deep.equal([
        'All years',
        'Nursery',
        'Reception',
      ]);
    } finally {
      await app.database.su('pupils').where({ id: p.id }).update({ year_group: 'R' });
    }
  });

  it('lists classes in school order (Reception before Year 1, Year 7 before Year 10) on every page', async () => {
    const primary = ['R Oak', '1 Oak', '2 Oak', '6 Oak'];
    const inOrder = (found: number[], where: string) => {
      expect(
        found.every((i) => i >= 0),
        `${where}: every class is shown`,
      ).to.equal(true);
      expect(found, where).to.deep.equal([...found].sort((a, b) => a - b));
    };
    inOrder(positions((await admin.get('/groups')).text, primary), '/groups');
    inOrder(positions((await admin.get('/')).text, primary), 'home');
    const filter = optionsOf((await admin.get('/pupils')).text, 'group');
    inOrder(
      primary.map((n) => filter.indexOf(n)),
      'the pupil list filter',
    );
    const teacher = ids.user('teacher@oakfield.test');
    inOrder(positions((await admin.get(`/staff/${teacher}`)).text, primary, ' ('), "a member of staff's classes");

    const hillcrest = await app.signIn('head@hillcrest.test');
    const secondary = ['7C', '7H', '8C', '9H', '10C', '11H'];
    const filter2 = optionsOf((await hillcrest.get('/pupils')).text, 'group');
    inOrder(
      secondary.map((n) => filter2.indexOf(n)),
      'the pupil list filter (secondary)',
    );
    inOrder(positions((await hillcrest.get('/groups')).text, secondary), '/groups (secondary)');
  });

  it('shows teachers and TAs links only to the groups they may open (none that answer 403)', async () => {
    const su = app.database.su;
    const oak3 = await su('groups').where({ school_id: ids.oakfield, name: '3 Oak' }).first();
    const pupil = await su('group_members').where({ group_id: oak3.id }).first();
    const [nurture] = await su('groups')
      .insert({ school_id: ids.oakfield, kind: 'intervention', name: 'Nurture (Tuesdays)' })
      .returning('id');
    await su('group_members').insert({ school_id: ids.oakfield, group_id: nurture.id, pupil_id: pupil.pupil_id });
    const [intervention] = await su('interventions')
      .insert({
        school_id: ids.oakfield,
        name: 'Nurture',
        type: 'Nurture group',
        group_id: nurture.id,
        start_date: '2026-09-10',
        status: 'running',
      })
      .returning('id');

    for (const email of ['teacher@oakfield.test', 'ta@oakfield.test']) {
      const staff = await app.signIn(email);
      expect((await staff.get(`/groups/${nurture.id}`)).status, `${email} may not open the group`).to.equal(403);
      const profile = await staff.get(`/pupils/${pupil.pupil_id}`);
      expect(profile.status).to.equal(200);
      expect(profile.text, email).to.contain(`href="/groups/${oak3.id}"`);
      expect(profile.text, `${email}: the group is named`).to.contain('Nurture (Tuesdays)');
      expect(profile.text, `${email}: but not linked`).not.to.contain(`href="/groups/${nurture.id}"`);
      const page = await staff.get(`/interventions/${intervention.id}`);
      expect(page.status).to.equal(200);
      expect(page.text, email).not.to.contain(`href="/groups/${nurture.id}"`);
      expect(page.text, `${email} may not change it`).not.to.contain(`/interventions/${intervention.id}/edit`);
    }
    // Whoever may open the group still gets the link.
    const senco = await app.signIn('senco@oakfield.test');
    expect((await senco.get(`/pupils/${pupil.pupil_id}`)).text).to.contain(`href="/groups/${nurture.id}"`);
    const page = await senco.get(`/interventions/${intervention.id}`);
    expect(page.text).to.contain(`href="/groups/${nurture.id}"`);
    expect(page.text).to.contain(`/interventions/${intervention.id}/edit`);
  });
});
