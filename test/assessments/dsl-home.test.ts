import { expect } from 'chai';
import { type Browser, startTestApp, type TestApp } from '../helpers/app.js';
import { demoIds, type DemoIds, oakClassFramework } from '../helpers/demo.js';

/**
 * Issue 15, item 8: a restricted note reaches the DSL. The DSL and the head see, on their home page,
 * restricted notes others wrote lately and pupils with recent low or falling wellbeing; nobody else
 * does, and reading the lists is audited.
 */
describe('The DSL’s home page: new restricted notes and low or falling wellbeing', () => {
  let app: TestApp;
  let ids: DemoIds;
  let teacher: Browser;
  let pupils: { id: string; legal_forename: string; preferred_forename: string | null; surname: string }[];
  const body = 'A private worry, never on the home page';
  // As the page writes it (escaped), and safe inside a RegExp (names have no regex metacharacters but . and -).
  const nameOf = (p: (typeof pupils)[number]) =>
    `${p.preferred_forename || p.legal_forename} ${p.surname}`.replace(/&/g, '&amp;').replace(/'/g, '&#39;');

  before(async () => {
    app = await startTestApp();
    ids = await demoIds(app.database.su);
    teacher = await app.signIn('teacher@oakfield.test');
    const { groupId } = await oakClassFramework(app.database.su, ids, 'wellbeing');
    pupils = await app.database
      .su('pupils as p')
      .join('group_members as gm', 'gm.pupil_id', 'p.id')
      .where('gm.group_id', groupId)
      .select('p.id', 'p.legal_forename', 'p.preferred_forename', 'p.surname')
      .orderBy('p.surname');
  });
  after(() => app.close());

  const writeNote = async (who: Browser, pupilId: string, text: string) => {
    const page = (await who.get(`/pupils/${pupilId}/notes`)).text;
    const key = /name="submissionKey" value="([^"]+)"[\s\S]*?Save note/.exec(page)?.[1];
    const keys = [...page.matchAll(/name="submissionKey" value="([^"]+)"/g)].map((m) => m[1]!);
    const res = await who.post(
      `/pupils/${pupilId}/notes`,
      { sensitivity: 'restricted', body: text, submissionKey: key ?? keys.at(-1)! },
      { tokenFrom: `/pupils/${pupilId}/notes` },
    );
    expect(res.status).to.equal(303);
  };

  it('the DSL and the head see a restricted note another person wrote, without its text; others do not', async () => {
    const pupil = pupils[0]!;
    await writeNote(teacher, pupil.id, body);
    const dsl = await app.signIn('dsl@oakfield.test');
    const before = await app.database.su('audit_events').where({ action: 'overview.viewed' }).count('* as n').first();
    const home = await dsl.get('/');
    expect(home.status).to.equal(200);
    expect(home.text).to.contain('New restricted notes');
    expect(home.text).to.contain(`<a href="/pupils/${pupil.id}/notes">${nameOf(pupil)}</a>`);
    const teacherRow = await app.database.su('users').where({ email: 'teacher@oakfield.test' }).first();
    expect(home.text).to.contain(`by ${teacherRow.given_name} ${teacherRow.family_name}`);
    expect(home.text).not.to.contain(body);
    const after = await app.database.su('audit_events').where({ action: 'overview.viewed' }).orderBy('id', 'desc');
    expect(after.length, 'the read is audited').to.equal(Number(before!.n) + 1);
    expect(after[0]).to.include({ actor_user_id: ids.user('dsl@oakfield.test'), school_id: ids.oakfield });
    expect(after[0].meta.restricted_notes).to.be.at.least(1);

    const head = await app.signIn('head@oakfield.test');
    expect((await head.get('/')).text).to.contain(`<a href="/pupils/${pupil.id}/notes">${nameOf(pupil)}</a>`);
    for (const email of ['teacher@oakfield.test', 'senco@oakfield.test', 'admin@oakfield.test', 'ta@oakfield.test']) {
      const other = await (await app.signIn(email)).get('/');
      expect(other.text, email).not.to.contain('New restricted notes');
      expect(other.text, email).not.to.contain('Low or falling wellbeing');
    }
  });

  it('the DSL’s own restricted notes are not listed as new to them', async () => {
    const dsl = await app.signIn('dsl@oakfield.test');
    const pupil = pupils[1]!;
    await app.database.su('notes').where({ pupil_id: pupil.id, sensitivity: 'restricted' }).del();
    await writeNote(dsl, pupil.id, 'The DSL’s own record');
    expect((await dsl.get('/')).text).not.to.contain(`<a href="/pupils/${pupil.id}/notes">`);
  });

  it('pupils whose wellbeing this term is low or has fallen are listed with the domain and scores', async () => {
    const su = app.database.su;
    const { framework, items, levels, term } = await oakClassFramework(su, ids, 'wellbeing');
    const [low, fell, fine] = [pupils[2]!, pupils[3]!, pupils[4]!];
    const previous = await su('terms')
      .where({ school_id: ids.oakfield })
      .where('sequence', '<', (await su('terms').where({ id: term.id }).first()).sequence)
      .orderBy('sequence', 'desc')
      .first();
    // Only these three pupils have wellbeing scores in the two terms.
    await su('assessment_scores')
      .where({ framework_id: framework.id })
      .whereIn('term_id', [term.id, previous.id])
      .del();
    const put = (pupilId: string, termId: string, on: string, values: number[]) =>
      su('assessment_scores').insert(
        items.map((item, i) => ({
          school_id: ids.oakfield,
          pupil_id: pupilId,
          framework_id: framework.id,
          item_id: item.id,
          term_id: termId,
          level_id: levels.get(values[i] ?? 4),
          value: values[i] ?? 4,
          assessed_on: on,
        })),
      );
    await put(low.id, term.id, term.starts_on, [1]);
    await put(fell.id, previous.id, previous.starts_on, [4, 5]);
    await put(fell.id, term.id, term.starts_on, [4, 2]);
    await put(fine.id, term.id, term.starts_on, []);
    const normal = items.find((i, n) => n === 1 && !i.is_safety_domain);

    const dsl = await app.signIn('dsl@oakfield.test');
    const home = (await dsl.get('/')).text;
    const section = home.slice(home.indexOf('Low or falling wellbeing'));
    // A 1 (after an older term's score, also a fall: then both scores show).
    expect(section).to.match(
      new RegExp(`<a href="/pupils/${low.id}">${nameOf(low)}</a>: ${items[0]!.name} (\\d → )?1<`),
    );
    if (normal) expect(section).to.contain(`<a href="/pupils/${fell.id}">${nameOf(fell)}</a>: ${normal.name} 5 → 2`);
    expect(section).not.to.contain(`/pupils/${fine.id}"`);
  });
});
