import { expect } from 'chai';
import { type Browser, startTestApp, type TestApp } from '../helpers/app.js';
import { demoIds, type DemoIds, oakClassFramework } from '../helpers/demo.js';

describe('Recording assessments and assessment frameworks', () => {
  let app: TestApp;
  let ids: DemoIds;
  let teacher: Browser;
  let groupId: string;
  let fw: { id: string };
  let items: { id: string; name: string }[];
  let levels: Map<number, string>;
  let term: { id: string; starts_on: string; ends_on: string };
  let pupils: string[];

  before(async () => {
    app = await startTestApp();
    ids = await demoIds(app.database.su);
    const su = app.database.su;
    teacher = await app.signIn('teacher@oakfield.test');
    ({ groupId, framework: fw, items, levels, term } = await oakClassFramework(su, ids, 'attainment'));
    pupils = (await su('group_members').where({ group_id: groupId }).orderBy('pupil_id')).map((m) => m.pupil_id);
    await su('assessment_scores').whereIn('pupil_id', pupils).where({ framework_id: fw.id, term_id: term.id }).del();
  });
  after(() => app.close());

  const date = () => term.starts_on.split('-').reverse().join('/');
  const base = () => ({ framework_id: fw.id, term_id: term.id, assessed_on: date() });
  const cells = (pupil: string, value: number | '') =>
    Object.fromEntries(items.map((i) => [`l:${pupil}:${i.id}`, value === '' ? '' : levels.get(value)!]));
  const gridUrl = () => `/groups/${groupId}/grid?framework=${fw.id}&term=${term.id}`;

  it('the default frameworks are seeded as data: eight wellbeing domains scored 1–5, and primary attainment', async () => {
    const su = app.database.su;
    const wellbeing = await su('frameworks').where({ school_id: ids.oakfield, kind: 'wellbeing' }).first();
    const domains = await su('framework_items').where({ framework_id: wellbeing.id }).orderBy('position').pluck('name');
    expect(domains).to.deep.equal([
      'Emotional wellbeing',
      'Self-esteem and confidence',
      'Relationships with peers',
      'Relationships with adults',
      'Self-regulation',
      'Resilience and coping',
      'Engagement with learning',
      'Physical wellbeing and feeling safe',
    ]);
    const scale = await su('framework_levels').where({ framework_id: wellbeing.id }).orderBy('value');
    expect(scale.map((l) => [l.value, l.label])).to.deep.equal([
      [1, 'Significant concern'],
      [2, 'Some concern'],
      [3, 'Developing'],
      [4, 'Secure'],
      [5, 'Thriving'],
    ]);
    expect(scale.every((l) => l.descriptor && l.descriptor.length > 10)).to.equal(true);
    expect(items.map((i) => i.name)).to.deep.equal(['Reading', 'Writing', 'Maths']);
    const attainmentLevels = await su('framework_levels').where({ framework_id: fw.id }).orderBy('value');
    expect(attainmentLevels.map((l) => [l.short_label, l.meets_expected])).to.deep.equal([
      ['PKS', false],
      ['WTS', false],
      ['EXS', true],
      ['GDS', true],
    ]);
    expect(await su('frameworks').where({ school_id: ids.oakfield, kind: 'end_of_key_stage' })).to.have.length(1);
    expect((await su('terms').where({ school_id: ids.oakfield }).pluck('name')).sort()).to.include.members([
      'Autumn',
      'Spring',
      'Summer',
    ]);
  });

  it('without JavaScript the whole grid posts; every changed row is audited with item names only; a repeat changes nothing (R4)', async () => {
    const form = { ...base(), ...cells(pupils[0]!, 3), ...cells(pupils[1]!, 2) };
    const res = await teacher.post(`/groups/${groupId}/grid`, form, { tokenFrom: gridUrl() });
    expect(res.status).to.equal(200);
    expect(res.text).to.contain('Saved. 2 pupils changed.');
    const stored = await app.database
      .su('assessment_scores')
      .whereIn('pupil_id', [pupils[0]!, pupils[1]!])
      .where({ term_id: term.id, framework_id: fw.id });
    expect(stored).to.have.length(6);
    const audits = await app.database.su('audit_events').where({ action: 'assessment.recorded' });
    expect(audits).to.have.length(2);
    expect(audits[0].fields).to.deep.equal(['Reading', 'Writing', 'Maths']);
    expect(JSON.stringify(audits)).not.to.match(/EXS|WTS|"value"/);
    const again = await Promise.all(
      Array.from({ length: 5 }, async () =>
        teacher.post(
          `/groups/${groupId}/grid`,
          {
            ...form,
            [`stamp:${pupils[0]}`]: new Date().toISOString(),
            [`stamp:${pupils[1]}`]: new Date().toISOString(),
          },
          { tokenFrom: gridUrl() },
        ),
      ),
    );
    for (const r of again) expect(r.status).to.equal(200);
    expect(
      await app.database
        .su('assessment_scores')
        .whereIn('pupil_id', [pupils[0]!, pupils[1]!])
        .where({ term_id: term.id, framework_id: fw.id }),
    ).to.have.length(6);
    expect(await app.database.su('audit_events').where({ action: 'assessment.recorded' })).to.have.length(2);
  });

  it('R4: ten identical first saves sent at once make one score per cell and one audit row', async () => {
    const pupil = pupils[6]!;
    const token = await teacher.csrf(gridUrl());
    const page = await teacher.get(gridUrl());
    const stamp = new RegExp(`name="stamp:${pupil}" value="([^"]*)"`).exec(page.text)![1]!;
    const form = { _csrf: token, ...base(), ...cells(pupil, 2), [`stamp:${pupil}`]: stamp };
    const results = await Promise.all(
      Array.from({ length: 10 }, () => teacher.postRaw(`/groups/${groupId}/grid`, form)),
    );
    expect(results.map((r) => r.status)).to.deep.equal(Array(10).fill(200));
    expect(
      await app.database.su('assessment_scores').where({ pupil_id: pupil, term_id: term.id, framework_id: fw.id }),
    ).to.have.length(3);
    expect(
      await app.database.su('audit_events').where({ action: 'assessment.recorded', entity_id: pupil }),
    ).to.have.length(1);
  });

  it('with htmx one row saves and comes back as that row with its saved state', async () => {
    const token = await teacher.csrf(gridUrl());
    const res = await teacher.postRaw(
      `/groups/${groupId}/grid/rows/${pupils[2]}`,
      { _csrf: token, ...base(), ...cells(pupils[2]!, 4), ...cells(pupils[3]!, 1) },
      { 'HX-Request': 'true' },
    );
    expect(res.status).to.equal(200);
    expect(res.text).to.match(/^\s*<tr id="row-/);
    expect(res.text).to.contain('Saved');
    expect(res.text).not.to.contain('<html');
    expect(
      await app.database.su('assessment_scores').where({ pupil_id: pupils[2], term_id: term.id, framework_id: fw.id }),
    ).to.have.length(3);
    expect(
      await app.database.su('assessment_scores').where({ pupil_id: pupils[3], term_id: term.id, framework_id: fw.id }),
      'only the row that changed',
    ).to.have.length(0);
  });

  it('errors point to the cell and the date, nothing is saved, and what was chosen is kept', async () => {
    const form = {
      ...base(),
      ...cells(pupils[4]!, 3),
      [`l:${pupils[4]}:${items[1]!.id}`]: '11111111-2222-4333-8444-555555555555',
      assessed_on: '01/01/2020',
    };
    const res = await teacher.post(`/groups/${groupId}/grid`, form, { tokenFrom: gridUrl() });
    expect(res.status).to.equal(422);
    expect(res.text).to.contain(`href="#cell-${pupils[4]}-${items[1]!.id}"`);
    expect(res.text).to.contain('Choose one of the Attainment (primary) levels');
    expect(res.text).to.contain('The date must be within the');
    expect(res.text).to.match(
      new RegExp(`name="l:${pupils[4]}:${items[0]!.id}"[^>]*>[\\s\\S]*?<option value="${levels.get(3)}" selected>`),
    );
    expect(
      await app.database.su('assessment_scores').where({ pupil_id: pupils[4], term_id: term.id, framework_id: fw.id }),
    ).to.have.length(0);
  });

  it('R5: a row someone else saved after you loaded the grid is refused with 409 and both versions', async () => {
    const page = await teacher.get(gridUrl());
    const stamp = new RegExp(`name="stamp:${pupils[5]}" value="([^"]*)"`).exec(page.text)![1]!;
    const head = await app.signIn('head@oakfield.test');
    expect(
      (
        await head.post(
          `/groups/${groupId}/grid`,
          { ...base(), ...cells(pupils[5]!, 4), [`stamp:${pupils[5]}`]: stamp },
          { tokenFrom: gridUrl() },
        )
      ).status,
    ).to.equal(200);
    const stale = await teacher.post(
      `/groups/${groupId}/grid`,
      { ...base(), ...cells(pupils[5]!, 2), [`stamp:${pupils[5]}`]: stamp },
      { tokenFrom: gridUrl() },
    );
    expect(stale.status).to.equal(409);
    expect(stale.text).to.contain('someone else saved this row');
    expect(stale.text).to.contain('Theirs: GDS, GDS, GDS');
    const values = await app.database
      .su('assessment_scores')
      .where({ pupil_id: pupils[5], term_id: term.id, framework_id: fw.id })
      .pluck('value');
    expect(values).to.deep.equal([4, 4, 4]);
  });

  it('teaching assistants see the grid read-only and cannot record; teachers cannot record other classes; restricted pupils are read-only', async () => {
    const ta = await app.signIn('ta@oakfield.test');
    const view = await ta.get(gridUrl());
    expect(view.status).to.equal(200);
    expect(view.text).to.contain('your role does not record');
    expect(
      (await ta.post(`/groups/${groupId}/grid`, { ...base(), ...cells(pupils[6]!, 3) }, { tokenFrom: gridUrl() }))
        .status,
    ).to.equal(403);
    const other = (await app.database.su('groups').where({ school_id: ids.oakfield, name: '4 Oak' }).first()).id;
    const otherPupil = (await app.database.su('group_members').where({ group_id: other }).first()).pupil_id;
    expect(
      (await teacher.post(`/groups/${other}/grid`, { ...base(), ...cells(otherPupil, 3) }, { tokenFrom: gridUrl() }))
        .status,
    ).to.equal(403);
    await app.database.su('pupils').where({ id: pupils[7] }).update({ restricted_at: app.database.su.fn.now() });
    try {
      expect(
        (
          await teacher.post(
            `/groups/${groupId}/grid`,
            { ...base(), ...cells(pupils[7]!, 3) },
            { tokenFrom: gridUrl() },
          )
        ).status,
      ).to.equal(403);
      expect((await teacher.get(gridUrl())).text).to.contain('Restricted: read-only');
    } finally {
      await app.database.su('pupils').where({ id: pupils[7] }).update({ restricted_at: null });
    }
  });

  it('the single-pupil form records one pupil the same way', async () => {
    const url = `/pupils/${pupils[8]}/assess?framework=${fw.id}&term=${term.id}`;
    const res = await teacher.post(
      `/pupils/${pupils[8]}/assess`,
      { ...base(), ...cells(pupils[8]!, 2) },
      { tokenFrom: url },
    );
    expect(res.status).to.equal(200);
    expect(res.text).to.contain('Saved: Reading, Writing, Maths.');
    expect(
      await app.database.su('assessment_scores').where({ pupil_id: pupils[8], term_id: term.id, framework_id: fw.id }),
    ).to.have.length(3);
  });

  it('frameworks are data a school admin edits without code; a level in use cannot be deleted, by the app or the database', async () => {
    const admin = await app.signIn('admin@oakfield.test');
    const page = await admin.get(`/frameworks/${fw.id}`);
    expect(page.status).to.equal(200);
    const version = /name="version" value="(\d+)"/.exec(page.text)![1]!;
    const form: Record<string, string | string[]> = {
      name: 'Attainment (KS1–2)',
      recorded_by: ['teacher', 'senco'],
      version,
    };
    for (const i of items)
      Object.assign(form, { [`item_name:${i.id}`]: i.name, [`item_position:${i.id}`]: String(items.indexOf(i)) });
    const lvls = await app.database.su('framework_levels').where({ framework_id: fw.id }).orderBy('value');
    for (const l of lvls)
      Object.assign(form, {
        [`level_label:${l.id}`]: l.value === 3 ? 'Expected standard' : l.label,
        [`level_short:${l.id}`]: l.short_label,
        [`level_descriptor:${l.id}`]: l.descriptor ?? '',
        ...(l.meets_expected ? { [`level_expected:${l.id}`]: 'on' } : {}),
      });
    const saved = await admin.post(
      `/frameworks/${fw.id}`,
      { ...form, new_item: 'Science', new_level_value: '3', new_level_short: 'X', new_level_label: 'Clash' },
      { tokenFrom: `/frameworks/${fw.id}` },
    );
    expect(saved.status).to.equal(422);
    expect(saved.text).to.contain('already a level with the value 3');
    const ok = await admin.post(
      `/frameworks/${fw.id}`,
      { ...form, new_item: 'Science', new_level_value: '5', new_level_short: 'HNM', new_level_label: 'High score' },
      { tokenFrom: `/frameworks/${fw.id}` },
    );
    expect(ok.status).to.equal(303);
    expect((await app.database.su('framework_levels').where({ framework_id: fw.id, value: 3 }).first()).label).to.equal(
      'Expected standard',
    );
    expect(await app.database.su('framework_items').where({ framework_id: fw.id, name: 'Science' })).to.have.length(1);
    expect((await app.database.su('frameworks').where({ id: fw.id }).first()).recorded_by).to.deep.equal([
      'teacher',
      'senco',
    ]);

    const used = lvls.find((l) => l.value === 3)!;
    const refused = await admin.post(
      `/frameworks/${fw.id}/levels/${used.id}/delete`,
      {},
      { tokenFrom: `/frameworks/${fw.id}` },
    );
    expect(refused.status).to.equal(409);
    expect(refused.text).to.contain('is used by recorded assessments, so it cannot be deleted');
    let dbError = '';
    await app.database
      .su('framework_levels')
      .where({ id: used.id })
      .del()
      .catch((e: Error) => (dbError = e.message));
    expect(dbError).to.match(/foreign key|violates/);
    const unused = (await app.database.su('framework_levels').where({ framework_id: fw.id, value: 5 }).first()).id;
    expect(
      (await admin.post(`/frameworks/${fw.id}/levels/${unused}/delete`, {}, { tokenFrom: `/frameworks/${fw.id}` }))
        .status,
    ).to.equal(303);
    expect((await (await app.signIn('head@oakfield.test')).get(`/frameworks/${fw.id}`)).status).to.equal(403);
    const created = await admin.post(
      '/frameworks',
      {
        kind: 'attainment',
        name: 'Phonics',
        recorded_by: 'teacher',
        items: 'Phonics screening\nBlending',
        levels: '1 | B | Below\n2 | M | Met | Meets the standard | expected',
      },
      { tokenFrom: '/frameworks/new' },
    );
    expect(created.status).to.equal(303);
    const bad = await admin.post(
      '/frameworks',
      { kind: 'attainment', name: 'Broken', recorded_by: 'teacher', items: 'A', levels: 'one | two' },
      { tokenFrom: '/frameworks/new' },
    );
    expect(bad.status).to.equal(422);
    expect(bad.text).to.contain('Level line 1 should look like');
  });

  it('term dates stay in their academic year, in order, without overlaps, and around the assessments already in them', async () => {
    const su = app.database.su;
    const admin = await app.signIn('admin@oakfield.test');
    const year =
      term.starts_on < `${term.starts_on.slice(0, 4)}-09-01`
        ? Number(term.starts_on.slice(0, 4)) - 2
        : Number(term.starts_on.slice(0, 4)) - 1;
    const [autumn, spring, summer] = await su('terms')
      .where({ school_id: ids.oakfield, academic_year: year })
      .orderBy('sequence');
    const uk = (iso: string) => iso.split('-').reverse().join('/');
    const post = (t: { id: string }, starts: string, ends: string) =>
      admin.post(`/terms/${t.id}`, { starts_on: starts, ends_on: ends }, { tokenFrom: '/frameworks' });

    const early = await post(autumn, `01/08/${year}`, uk(autumn.ends_on));
    expect(early.status).to.equal(422);
    expect(early.text).to.contain(
      `The first day must be in the ${year}/${String((year + 1) % 100).padStart(2, '0')} academic year`,
    );
    expect(early.text).to.contain(`value="01/08/${year}"`);
    expect(early.text).to.contain(`href="#f-starts_on-${autumn.id}"`);
    expect(early.text).to.contain(`id="f-starts_on-${autumn.id}"`);

    const overlapping = await post(spring, uk(autumn.ends_on), uk(spring.ends_on));
    expect(overlapping.status).to.equal(422);
    expect(overlapping.text).to.contain(`Spring ${year + 1} would overlap Autumn ${year}`);
    expect(overlapping.text).to.contain('would overlap Autumn');

    const scored = (await su('assessment_scores')
      .where({ school_id: ids.oakfield, term_id: spring.id })
      .min('assessed_on as first')
      .first()) as { first: string };
    expect(scored.first, 'the demo has assessments in that term').to.be.a('string');
    expect(scored.first > spring.starts_on).to.equal(true);
    const shrunk = await post(spring, uk(spring.starts_on), uk(spring.starts_on));
    expect(shrunk.status).to.equal(422);
    expect(shrunk.text).to.match(/\d+ assessments are already recorded in this term/);
    expect(await su('terms').where({ id: spring.id }).first()).to.deep.include({
      starts_on: spring.starts_on,
      ends_on: spring.ends_on,
    });

    const longer = await post(spring, uk(spring.starts_on), uk(summer.starts_on));
    expect(longer.status).to.equal(422);
    expect(longer.text).to.contain('would overlap Summer');
    // The Easter holiday moves from Spring to Summer: allowed, as no assessment is dated then.
    const earlier = new Date(Date.parse(`${spring.ends_on}T12:00:00Z`) - 14 * 86400000).toISOString().slice(0, 10);
    expect((await post(spring, uk(spring.starts_on), uk(earlier))).status).to.equal(303);
    expect((await su('terms').where({ id: spring.id }).first()).ends_on).to.equal(earlier);
  });
});
