import { expect } from 'chai';
import { type Actor, systemActor } from '../../src/policy/index.js';
import { insertTerms } from '../../src/modules/assessments/defaults.js';
import { provisionSchool } from '../../src/modules/assessments/frameworks-service.js';
import { classOverview, pupilHistory } from '../../src/modules/assessments/analysis-service.js';
import { schoolDashboard } from '../../src/modules/assessments/dashboard-service.js';
import { impact } from '../../src/modules/assessments/interventions-service.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

/**
 * Impact and dashboard figures on a small school built by hand, where every answer is known.
 *
 *   pupil  sex  traits          wellbeing Summer → Autumn   attainment this term
 *   P1     F    FSM now, SEN K   2 → 3                   WTS
 *   P2     M    EAL              3 → 3                   EXS
 *   P3     F    SEN E            4 → 2                   PKS
 *   P4     M    looked after     3 → 4                   GDS
 *   P5     F    —                5 → 5                   EXS
 *   P6     M    restricted       1 → 1                   GDS   (left out of every figure)
 */
describe('P7: impact and dashboard figures on a hand-built school', () => {
  let app: TestApp;
  let head: Actor;
  let school: string;
  const pupil: Record<string, string> = {};
  let wellbeing: { id: string };
  let attainment: { id: string };
  let terms: Record<string, { id: string; academic_year: number; name: string }>;

  before(async () => {
    app = await startTestApp();
    const { su, db } = app.database;
    school = (
      await su('organisations').insert({ kind: 'school', name: 'Handbuilt Primary', phase: 'primary' }).returning('id')
    )[0].id;
    await su('school_settings').insert({ school_id: school });
    await db.withActor(systemActor('test', {}, school), async (trx) => {
      await provisionSchool(trx, school, 'primary', new Date('2026-11-22T12:00:00Z'));
      await insertTerms(trx, school, 2024);
      await insertTerms(trx, school, 2025);
    });
    const hash = (await su('users').where({ email: 'head@oakfield.test' }).first()).password_hash;
    const [user] = await su('users')
      .insert({
        kind: 'staff',
        email: 'head@handbuilt.test',
        given_name: 'Hana',
        family_name: 'Build',
        password_hash: hash,
      })
      .returning('id');
    await su('memberships').insert({ user_id: user.id, org_id: school, role: 'head' });
    head = { kind: 'staff', userId: user.id, schoolId: school, roles: ['head'], meta: {} };
    wellbeing = await su('frameworks').where({ school_id: school, kind: 'wellbeing' }).first();
    attainment = await su('frameworks').where({ school_id: school, kind: 'attainment' }).first();
    terms = Object.fromEntries(
      (await su('terms').where({ school_id: school })).map((t) => [`${t.name} ${t.academic_year}`, t]),
    );
    const people: [string, string, Record<string, unknown>][] = [
      ['P1', 'F', { sen_status: 'K', sen_primary_need: 'SLCN' }],
      ['P2', 'M', { eal: true, first_language: 'Polish' }],
      ['P3', 'F', { sen_status: 'E', sen_primary_need: 'ASD' }],
      ['P4', 'M', { looked_after: true }],
      ['P5', 'F', {}],
      ['P6', 'M', { restricted_at: new Date() }],
    ];
    for (const [name, sex, extra] of people) {
      pupil[name] = (
        await su('pupils')
          .insert({
            school_id: school,
            legal_forename: name,
            surname: 'Test',
            date_of_birth: '2018-01-01',
            sex,
            year_group: '3',
            ...extra,
          })
          .returning('id')
      )[0].id;
    }
    await su('pupil_fsm_periods').insert({ school_id: school, pupil_id: pupil.P1, start_date: '2025-09-01' });

    const level = async (fw: string, value: number) =>
      (await su('framework_levels').where({ framework_id: fw, value }).first()).id;
    const itemsOf = async (fw: string) => su('framework_items').where({ framework_id: fw }).orderBy('position');
    const score = async (p: string, fw: string, item: string, term: string, value: number, assessedOn: string) =>
      su('assessment_scores').insert({
        school_id: school,
        pupil_id: p,
        framework_id: fw,
        item_id: item,
        term_id: terms[term]!.id,
        level_id: await level(fw, value),
        value,
        assessed_on: assessedOn,
      });
    const wb = { P1: [2, 3], P2: [3, 3], P3: [4, 2], P4: [3, 4], P5: [5, 5], P6: [1, 1] } as Record<
      string,
      [number, number]
    >;
    const att = { P1: 2, P2: 3, P3: 1, P4: 4, P5: 3, P6: 4 } as Record<string, number>;
    for (const [name, [last, now]] of Object.entries(wb)) {
      for (const item of await itemsOf(wellbeing.id)) {
        await score(pupil[name]!, wellbeing.id, item.id, 'Summer 2025', last, '2026-06-01');
        await score(pupil[name]!, wellbeing.id, item.id, 'Autumn 2026', now, '2026-10-01');
      }
      for (const item of await itemsOf(attainment.id))
        await score(pupil[name]!, attainment.id, item.id, 'Autumn 2026', att[name]!, '2026-10-01');
    }
  });
  after(() => app.close());

  const term = (key: string) => terms[key]!.id;

  it('P7: the dashboard shows distribution, attainment at expected+, progress and every vulnerable group against everyone else', async () => {
    const d = await schoolDashboard(app.database.db, head, {
      termId: term('Autumn 2026'),
      fromTermId: term('Summer 2025'),
      toTermId: term('Autumn 2026'),
    });
    expect(d.cohortSize).to.equal(5);
    const firstDomain = d.wellbeing!.items[0]!.id;
    const dist = Object.fromEntries(
      d.distribution
        .filter((r) => r.item_id === firstDomain && r.term_id === term('Autumn 2026'))
        .map((r) => [r.value, r.n]),
    );
    expect(dist).to.deep.equal({ 2: 1, 3: 2, 4: 1, 5: 1 });
    const lastDist = Object.fromEntries(
      d.distribution
        .filter((r) => r.item_id === firstDomain && r.term_id === term('Summer 2025'))
        .map((r) => [r.value, r.n]),
    );
    expect(lastDist, 'last term: 2, 3, 4, 3, 5').to.deep.equal({ 2: 1, 3: 2, 4: 1, 5: 1 });
    const reading = d.attainment!.items.find((i) => i.name === 'Reading')!.id;
    expect(d.attainmentByYear.find((r) => r.item_id === reading)).to.include({
      year_group: '3',
      assessed: 5,
      expected: 3,
    });
    const progress = d.progress[d.wellbeing!.id]!.find((r) => r.item_id === firstDomain)!;
    expect(progress).to.include({ n: 5, improved: 2, declined: 1 });
    expect(progress.mean_change).to.be.closeTo(0, 1e-9);
    const w = (key: string, member: boolean) => d.groupWellbeing.find((r) => r.key === key && r.member === member)!;
    const a = (key: string, member: boolean) => d.groupAttainment.find((r) => r.key === key && r.member === member)!;
    const p = (key: string, member: boolean) => d.groupProgress.find((r) => r.key === key && r.member === member)!;
    expect([w('fsm', true).pupils, w('fsm', false).pupils]).to.deep.equal([1, 4]);
    expect(w('fsm', true).mean).to.be.closeTo(3, 1e-9);
    expect(w('fsm', false).mean).to.be.closeTo(3.5, 1e-9);
    expect([
      a('fsm', true).expected,
      a('fsm', true).assessed,
      a('fsm', false).expected,
      a('fsm', false).assessed,
    ]).to.deep.equal([0, 3, 9, 12]);
    expect(p('fsm', true).mean_change).to.be.closeTo(1, 1e-9);
    expect(p('fsm', false).mean_change).to.be.closeTo(-0.25, 1e-9);
    expect(w('girls', true).mean).to.be.closeTo(10 / 3, 1e-9);
    expect(w('boys', true).mean).to.be.closeTo(3.5, 1e-9);
    expect(w('sen_e', true).mean).to.be.closeTo(2, 1e-9);
    expect(w('sen_e', false).mean).to.be.closeTo(3.75, 1e-9);
    expect([w('pp', true).pupils, w('pp', true).mean]).to.deep.equal([2, 3.5]);
    expect(w('lac', true).pupils).to.equal(1);
    expect(w('eal', true).mean).to.be.closeTo(3, 1e-9);
  });

  it('P7 and P29: the rendered dashboard shows the same figures and leaves the restricted pupil out', async () => {
    const b = await app.signIn('head@handbuilt.test');
    const page = await b.get(
      `/dashboard?term=${term('Autumn 2026')}&from=${term('Summer 2025')}&to=${term('Autumn 2026')}`,
    );
    expect(page.status).to.equal(200);
    expect(page.text).to.contain('5 pupils on roll are included');
    // Item 5: the bars name each term by its calendar year, never "Sum 25" or "2025/26".
    expect(page.text).to.match(/<text x="0" y="19"[^>]*>Autumn 2026</);
    expect(page.text).to.match(/<text x="0" y="19"[^>]*>Summer 2026</);
    expect(page.text).not.to.match(/\b(Aut|Spr|Sum) \d\d\b|\d{4}\/\d\d\b/);
    expect(page.text).to.match(/60% <span class="secondary">\(3\/5\)<\/span>/);
    expect(page.text).to.match(
      /<tr data-group="fsm"><th scope="row"><a href="[^"]*group=fsm"[^>]*>Free school meals now<span class="visually-hidden">[^<]*<\/span><\/a><\/th>\s*<td class="num">1<\/td><td class="num">4<\/td>\s*<td class="num">3\.00<\/td><td class="num">3\.50<\/td>\s*<td class="num">0%<\/td><td class="num">75%<\/td>\s*<td class="num">\+1\.00<\/td><td class="num">-0\.25<\/td>/,
    );
    for (const role of ['teacher', 'school_admin'] as const) {
      await app.database.su('memberships').where({ org_id: school }).update({ role });
      expect((await (await app.signIn('head@handbuilt.test')).get('/dashboard')).status, role).to.equal(403);
    }
    await app.database.su('memberships').where({ org_id: school }).update({ role: 'head' });
  });

  it('P7: with a group chosen, every dashboard figure is split into that group and everyone else', async () => {
    const d = await schoolDashboard(app.database.db, head, {
      termId: term('Autumn 2026'),
      fromTermId: term('Summer 2025'),
      toTermId: term('Autumn 2026'),
      group: 'fsm',
    });
    expect(d.group!.key).to.equal('fsm');
    expect(Object.fromEntries(d.groupSizes.map((g) => [String(g.member), g.n]))).to.deep.equal({ true: 1, false: 4 });
    const firstDomain = d.wellbeing!.items[0]!.id;
    const dist = (member: boolean) =>
      Object.fromEntries(
        d.distribution
          .filter((r) => r.item_id === firstDomain && r.term_id === term('Autumn 2026') && r.member === member)
          .map((r) => [r.value, r.n]),
      );
    expect(dist(true)).to.deep.equal({ 3: 1 });
    expect(dist(false)).to.deep.equal({ 2: 1, 3: 1, 4: 1, 5: 1 });
    const reading = d.attainment!.items.find((i) => i.name === 'Reading')!.id;
    expect(d.attainmentByYear.find((r) => r.item_id === reading && r.member === true)).to.include({
      assessed: 1,
      expected: 0,
    });
    expect(d.attainmentByYear.find((r) => r.item_id === reading && r.member === false)).to.include({
      assessed: 4,
      expected: 3,
    });
    const progress = (member: boolean) =>
      d.progress[d.wellbeing!.id]!.find((r) => r.item_id === firstDomain && r.member === member)!;
    expect(progress(true)).to.include({ n: 1, improved: 1, declined: 0 });
    expect(progress(true).mean_change).to.be.closeTo(1, 1e-9);
    expect(progress(false)).to.include({ n: 4, improved: 1, declined: 1 });
    expect(progress(false).mean_change).to.be.closeTo(-0.25, 1e-9);

    const page = await (
      await app.signIn('head@handbuilt.test')
    ).get(`/dashboard?term=${term('Autumn 2026')}&from=${term('Summer 2025')}&to=${term('Autumn 2026')}&group=fsm`);
    expect(page.text).to.contain('Comparing Free school meals now (1 pupils) with everyone else (4 pupils).');
    expect(page.text).to.match(
      /<tr><th scope="row">Reading<\/th><td>Free school meals now<\/td>\s*<td class="num">0% <span class="secondary">\(0\/1\)<\/span><\/td>/,
    );
    expect(page.text).to.match(
      /<tr><th scope="row">Reading<\/th><td>Everyone else<\/td>\s*<td class="num">75% <span class="secondary">\(3\/4\)<\/span><\/td>/,
    );
    const unknown = await (await app.signIn('head@handbuilt.test')).get('/dashboard?group=not-a-group');
    expect(unknown.status, 'an unknown group is refused, not silently ignored (I4)').to.equal(400);
    expect(unknown.text).to.contain('Choose a group to compare from the list');
  });

  it('P7: a school with more than one attainment framework sees the first one set up, and can choose another', async () => {
    const { su } = app.database;
    const [art] = await su('frameworks')
      .insert({
        school_id: school,
        kind: 'attainment',
        name: 'Art and design',
        created_at: su.raw(`now() + interval '1 second'`),
      })
      .returning('id');
    try {
      const byDefault = await schoolDashboard(app.database.db, head, { termId: term('Autumn 2026') });
      expect(byDefault.attainment!.name).to.equal('Attainment (primary)');
      const chosen = await schoolDashboard(app.database.db, head, {
        termId: term('Autumn 2026'),
        attainmentId: art.id,
      });
      expect(chosen.attainment!.name).to.equal('Art and design');
      expect((await (await app.signIn('head@handbuilt.test')).get('/dashboard')).text).to.contain(
        '<label for="f-attainment">Attainment</label>',
      );
    } finally {
      await su('frameworks').where({ id: art.id }).del();
    }
  });

  it('P7 and P10: the class overview shows the latest score, the change from the term before, and who may need attention first', async () => {
    const { su, db } = app.database;
    const [group] = await su('groups')
      .insert({ school_id: school, kind: 'class', name: '3 Hand', year_group: '3' })
      .returning('id');
    // Two more pupils: P7 was not assessed last term (so no change is shown), P8 not this term.
    for (const name of ['P7', 'P8']) {
      pupil[name] = (
        await su('pupils')
          .insert({
            school_id: school,
            legal_forename: name,
            surname: 'Test',
            date_of_birth: '2018-01-01',
            sex: 'F',
            year_group: '3',
          })
          .returning('id')
      )[0].id;
    }
    await su('group_members').insert(
      ['P1', 'P2', 'P3', 'P4', 'P5', 'P6', 'P7', 'P8'].map((n) => ({
        school_id: school,
        group_id: group.id,
        pupil_id: pupil[n],
      })),
    );
    const items = await su('framework_items').where({ framework_id: wellbeing.id }).orderBy('position');
    const level = async (v: number) =>
      (await su('framework_levels').where({ framework_id: wellbeing.id, value: v }).first()).id;
    for (const item of items) {
      const put = async (p: string, t: string, v: number, on: string) =>
        su('assessment_scores').insert({
          school_id: school,
          pupil_id: pupil[p],
          framework_id: wellbeing.id,
          item_id: item.id,
          term_id: term(t),
          level_id: await level(v),
          value: v,
          assessed_on: on,
        });
      await put('P7', 'Autumn 2025', 5, '2025-10-01');
      await put('P7', 'Autumn 2026', 4, '2026-10-01');
      await put('P8', 'Summer 2025', 4, '2026-06-01');
    }
    try {
      const overview = await classOverview(db, head, group.id, term('Autumn 2026'));
      const first = items[0]!.id;
      const cell = (name: string) => overview.rows.find((r) => r.pupil.id === pupil[name])!.cells[first]!;
      expect([cell('P1').value, cell('P1').change]).to.deep.equal([3, 1]);
      expect([cell('P2').value, cell('P2').change]).to.deep.equal([3, 0]);
      expect([cell('P3').value, cell('P3').change]).to.deep.equal([2, -2]);
      expect([cell('P7').value, cell('P7').change], 'a year ago is not the term before').to.deep.equal([4, null]);
      expect(cell('P7').fromTerm).to.equal(null);
      expect([cell('P8').value, cell('P8').change]).to.deep.equal([4, null]);
      expect(cell('P8').fromTerm, 'an older score says which term it is from').to.include({ id: term('Summer 2025') });
      // Lowest score first, then the largest fall: P6 (1), P3 (2, falling), P2 (3, level), P1 (3, rising), P7 and P8 (4), P4 (4, rising), P5 (5).
      expect(overview.rows.map((r) => r.pupil.legal_forename)).to.deep.equal([
        'P6',
        'P3',
        'P2',
        'P1',
        'P7',
        'P8',
        'P4',
        'P5',
      ]);
      const page = await (
        await app.signIn('head@handbuilt.test')
      ).get(`/groups/${group.id}?term=${term('Autumn 2026')}`);
      expect(page.text).to.contain('advice to staff, not a decision');
      expect(page.text).to.contain('down 2 from the term before');
      expect(page.text).to.contain('no score the term before');
      expect(page.text).to.contain('(Summer 2026)');
    } finally {
      await su('assessment_scores').whereIn('pupil_id', [pupil.P7!, pupil.P8!]).del();
      await su('group_members').where({ group_id: group.id }).del();
      await su('groups').where({ id: group.id }).del();
      await su('pupils').whereIn('id', [pupil.P7!, pupil.P8!]).del();
    }
  });

  it('P7: intervention impact compares the score before the start with the first after the end, with group averages', async () => {
    const { su, db } = app.database;
    const domain = await su('framework_items').where({ framework_id: wellbeing.id, position: 2 }).first();
    const reading = await su('framework_items').where({ framework_id: attainment.id, name: 'Reading' }).first();
    const [group] = await su('groups')
      .insert({ school_id: school, kind: 'intervention', name: 'Friendship' })
      .returning('id');
    await su('group_members').insert(
      ['P1', 'P2', 'P3'].map((n) => ({ school_id: school, group_id: group.id, pupil_id: pupil[n] })),
    );
    const [iv] = await su('interventions')
      .insert({
        school_id: school,
        name: 'Friendship',
        type: 'Nurture',
        group_id: group.id,
        start_date: '2026-01-10',
        end_date: '2026-03-20',
        status: 'ended',
      })
      .returning('id');
    await su('intervention_targets').insert([
      { school_id: school, intervention_id: iv.id, item_id: domain.id },
      { school_id: school, intervention_id: iv.id, item_id: reading.id },
    ]);
    // Replace the domain's scores for the three pupils with a dated history.
    await su('assessment_scores')
      .whereIn(
        'pupil_id',
        ['P1', 'P2', 'P3'].map((n) => pupil[n]!),
      )
      .where({ item_id: domain.id })
      .del();
    const level = async (v: number) =>
      (await su('framework_levels').where({ framework_id: wellbeing.id, value: v }).first()).id;
    const put = async (p: string, t: string, v: number, on: string) =>
      su('assessment_scores').insert({
        school_id: school,
        pupil_id: pupil[p],
        framework_id: wellbeing.id,
        item_id: domain.id,
        term_id: term(t),
        level_id: await level(v),
        value: v,
        assessed_on: on,
      });
    // Terms are keyed by academic year: "Summer 2024" is the summer of 2024/25.
    await put('P1', 'Summer 2024', 2, '2025-06-01');
    await put('P1', 'Autumn 2025', 3, '2025-11-01');
    await put('P1', 'Summer 2025', 5, '2026-05-01');
    await put('P1', 'Autumn 2026', 4, '2026-10-01');
    await put('P2', 'Autumn 2025', 4, '2025-11-01');
    await put('P3', 'Summer 2024', 2, '2025-06-10');
    await put('P3', 'Summer 2025', 3, '2026-05-18');

    const result = await impact(db, head, iv.id);
    const row = (p: string, item: string) => result.rows.find((r) => r.pupil_id === pupil[p] && r.item_id === item)!;
    expect([row('P1', domain.id).before, row('P1', domain.id).after]).to.deep.equal([3, 5]);
    expect([row('P2', domain.id).before, row('P2', domain.id).after]).to.deep.equal([4, null]);
    expect([row('P3', domain.id).before, row('P3', domain.id).after]).to.deep.equal([2, 3]);
    const avg = result.averages.find((x) => x.item_id === domain.id)!;
    expect(avg).to.deep.include({ pupils: 2, before: 2.5, after: 4, change: 1.5, improved: 2 });
    const readingAvg = result.averages.find((x) => x.item_id === reading.id)!;
    expect(readingAvg.pupils, 'no reading scores before the start').to.equal(0);

    const b = await app.signIn('head@handbuilt.test');
    const page = await b.get(`/interventions/${iv.id}`);
    expect(page.text).to.match(
      /<td class="num">2<\/td><td class="num">2\.5<\/td><td class="num">4\.0<\/td><td class="num">\+1\.5<\/td><td class="num">2 of 2<\/td>/,
    );
    const provision = await b.get('/interventions');
    expect(provision.text).to.contain('Friendship');
    expect(provision.text).to.contain('Test, P1; Test, P2; Test, P3');
  });

  it('P7 and P10 (issue 15, item 7): impact shows level names, one precision, and similar pupils not in the intervention', async () => {
    const { su, db } = app.database;
    const domain = await su('framework_items').where({ framework_id: wellbeing.id, position: 2 }).first();
    const iv = await su('interventions').where({ school_id: school, name: 'Friendship' }).first();
    await su('assessment_scores')
      .whereIn(
        'pupil_id',
        ['P4', 'P5', 'P6'].map((n) => pupil[n]!),
      )
      .where({ item_id: domain.id })
      .del();
    const put = async (p: string, t: string, v: number, on: string) =>
      su('assessment_scores').insert({
        school_id: school,
        pupil_id: pupil[p],
        framework_id: wellbeing.id,
        item_id: domain.id,
        term_id: term(t),
        level_id: (await su('framework_levels').where({ framework_id: wellbeing.id, value: v }).first()).id,
        value: v,
        assessed_on: on,
      });
    // Year 3 pupils not in the group: P4 rises 2 → 3, P5 stays at 4; P6 is restricted and left out (P29).
    await put('P4', 'Autumn 2025', 2, '2025-11-01');
    await put('P4', 'Summer 2025', 3, '2026-05-01');
    await put('P5', 'Autumn 2025', 4, '2025-11-01');
    await put('P5', 'Summer 2025', 4, '2026-05-01');
    await put('P6', 'Autumn 2025', 1, '2025-11-01');
    await put('P6', 'Summer 2025', 5, '2026-05-01');

    const result = await impact(db, head, iv.id);
    expect(result.comparison.yearGroups).to.deep.equal(['3']);
    expect(result.comparison.pupils, 'P4 and P5: not the group, not the restricted P6').to.equal(2);
    expect(result.comparison.averages.find((a) => a.item_id === domain.id)).to.deep.include({
      pupils: 2,
      before: 3,
      after: 3.5,
      change: 0.5,
      improved: 1,
    });

    const page = await (await app.signIn('head@handbuilt.test')).get(`/interventions/${iv.id}`);
    expect(page.status).to.equal(200);
    expect(page.text).to.contain('3 Developing → 5 Thriving');
    expect(page.text).not.to.match(/<td>\d → \d/);
    expect(page.text).to.contain('Similar pupils not in the intervention (2 pupils)');
    expect(page.text).to.match(
      /<td class="num">2<\/td><td class="num">3\.0<\/td><td class="num">3\.5<\/td><td class="num">\+0\.5<\/td><td class="num">\+1\.5<\/td><td class="num">1 of 2<\/td>/,
    );
    expect(page.text).to.contain('every pupil on roll in the same year group (Year 3)');
    expect(page.text).to.contain('not proof that the intervention did or did not work');
    // One precision: every average on the page has exactly one decimal place.
    const averages = [...page.text.matchAll(/<td class="num">([+-]?\d+(?:\.\d+)?)<\/td>/g)].map((m) => m[1]!);
    for (const a of averages.filter((x) => x.includes('.'))) expect(a).to.match(/^[+-]?\d+\.\d$/);
  });

  it('P7: a domain archived after it was scored keeps its history on the pupil profile', async () => {
    const { su, db } = app.database;
    const item = await su('framework_items').where({ framework_id: wellbeing.id, position: 0 }).first();
    await su('framework_items').where({ id: item.id }).update({ archived_at: su.fn.now() });
    try {
      const history = await pupilHistory(db, head, pupil.P5!);
      const wb = history.frameworks.find((f) => f.framework.id === wellbeing.id)!;
      const kept = wb.items.find((i) => i.item.id === item.id);
      expect(kept, 'the archived domain is still charted').to.not.equal(undefined);
      expect(kept!.points.map((p) => p.value)).to.deep.equal([5, 5]);
    } finally {
      await su('framework_items').where({ id: item.id }).update({ archived_at: null });
    }
  });
});
