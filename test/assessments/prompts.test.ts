import { expect } from 'chai';
import { type Browser, startTestApp, type TestApp } from '../helpers/app.js';
import { demoIds, type DemoIds, oakClassFramework } from '../helpers/demo.js';

/**
 * Issue 15, items 2 and 3: where the safeguarding prompt shows and how often. A "Save all" without
 * JavaScript prompts only for cells it changed, each cell gives one line, and the prompt sits in
 * the grid beside the pupil's row. (P16, never storing it, is proved in safeguarding.test.ts.)
 */

/** The grid form exactly as a browser without JavaScript would post it: every select's chosen option and every hidden input. */
function formOf(html: string): Record<string, string> {
  const form: Record<string, string> = {};
  const body = html.slice(html.indexOf('<form method="post"'));
  for (const m of body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) form[m[1]!] = m[2]!;
  for (const m of body.matchAll(/<select id="[^"]*" name="([^"]+)"[^>]*>([\s\S]*?)<\/select>/g))
    form[m[1]!] = /<option value="([^"]*)" selected>/.exec(m[2]!)?.[1] ?? '';
  const date = /name="assessed_on"[^>]*value="([^"]*)"/.exec(body);
  if (date) form.assessed_on = date[1]!;
  return form;
}

describe('Safeguarding prompts: only for changes, one line per cell, beside the row (issue 15)', function () {
  this.timeout(120_000);
  let app: TestApp;
  let ids: DemoIds;
  let teacher: Browser;
  let groupId: string;
  let wellbeingId: string;
  let items: { id: string; name: string; is_safety_domain: boolean }[];
  let levels: Map<number, string>;
  let term: { id: string; starts_on: string };
  let pupils: string[];
  const gridUrl = () => `/groups/${groupId}/grid?framework=${wellbeingId}&term=${term.id}`;

  before(async () => {
    app = await startTestApp();
    ids = await demoIds(app.database.su);
    const su = app.database.su;
    teacher = await app.signIn('teacher@oakfield.test');
    let framework: { id: string };
    ({ groupId, framework, items, levels, term } = await oakClassFramework(su, ids, 'wellbeing'));
    wellbeingId = framework.id;
    pupils = await su('group_members').where({ group_id: groupId }).orderBy('pupil_id').pluck('pupil_id');
    const previousTerm = await su('terms')
      .where({ school_id: ids.oakfield })
      .where('sequence', '<', (await su('terms').where({ id: term.id }).first()).sequence)
      .orderBy('sequence', 'desc')
      .first();
    await su('assessment_scores')
      .whereIn('pupil_id', pupils)
      .where({ framework_id: wellbeingId })
      .whereIn('term_id', [term.id, previousTerm.id])
      .del();
    // Last term everyone was 4 everywhere; this term too, except the first pupil, already saved with
    // a 1 (a prompt they were shown when it was saved).
    const rows = (t: { id: string; starts_on: string }, value: (p: string, i: number) => number) =>
      pupils.flatMap((p) =>
        items.map((item, i) => ({
          school_id: ids.oakfield,
          pupil_id: p,
          framework_id: wellbeingId,
          item_id: item.id,
          term_id: t.id,
          level_id: levels.get(value(p, i)),
          value: value(p, i),
          assessed_on: t.starts_on,
        })),
      );
    await su('assessment_scores').insert(rows(previousTerm, () => 4));
    await su('assessment_scores').insert(rows(term, (p, i) => (p === pupils[0] && i === 0 ? 1 : 4)));
  });
  after(() => app.close());

  it('item 3: “Save all” of an untouched grid shows no prompt, even for a pupil already scored 1', async () => {
    const page = await teacher.get(gridUrl());
    const form = formOf(page.text);
    expect(form[`l:${pupils[0]}:${items[0]!.id}`]).to.equal(levels.get(1));
    const res = await teacher.post(`/groups/${groupId}/grid`, form, { tokenFrom: gridUrl() });
    expect(res.status).to.equal(200);
    expect(res.text).to.contain('Saved. 0 pupils changed.');
    expect(res.text).not.to.contain('Please consider');
  });

  it('item 3: one changed cell meeting every rule gives one prompt, for that pupil only, in one line', async () => {
    const safety = items.find((i) => i.is_safety_domain)!;
    const form = formOf((await teacher.get(gridUrl())).text);
    form[`l:${pupils[1]}:${safety.id}`] = levels.get(1)!;
    const res = await teacher.post(`/groups/${groupId}/grid`, form, { tokenFrom: gridUrl() });
    expect(res.status).to.equal(200);
    expect(res.text.match(/Please consider whether this is a safeguarding concern/g)).to.have.length(1);
    const prompt = /<section class="concern"[\s\S]*?<\/section>/.exec(res.text)![0];
    expect(prompt).to.contain(`id="concern-${pupils[1]}"`);
    expect(prompt.match(/<li>/g)).to.have.length(1);
    expect(prompt).to.contain(
      `${safety.name} was scored 1 (significant concern), down from 4 since the last assessment.`,
    );
    expect(prompt).not.to.contain('fell from');
    expect(prompt).not.to.contain(`${safety.name} is 1`);
  });

  it('item 2: without JavaScript the prompt is the row straight after the pupil’s own, and the top of the page points to it', async () => {
    const form = formOf((await teacher.get(gridUrl())).text);
    const pupil = pupils[20]!;
    form[`l:${pupil}:${items[2]!.id}`] = levels.get(1)!;
    const res = await teacher.post(`/groups/${groupId}/grid`, form, { tokenFrom: gridUrl() });
    expect(res.status).to.equal(200);
    expect(res.text).not.to.contain('id="concerns"');
    const row = res.text.indexOf(`<tr id="row-${pupil}"`);
    const rowEnd = res.text.indexOf('</tr>', row) + '</tr>'.length;
    expect(res.text.slice(rowEnd).trimStart()).to.match(
      new RegExp(
        `^<tr id="concern-row-${pupil}" class="concern-row"><td colspan="${items.length + 2}"><section class="concern" role="alert"`,
      ),
    );
    const banner = /<div class="banner banner-success" role="status">[\s\S]*?<\/div>/.exec(res.text)![0];
    expect(banner).to.contain(`href="#concern-row-${pupil}"`);
    expect(res.text.indexOf('Please consider')).to.be.greaterThan(row);
  });

  it('item 2: with htmx the row comes back with its prompt, placed straight after it, replacing that pupil’s last one', async () => {
    const pupil = pupils[21]!;
    const form = formOf((await teacher.get(gridUrl())).text);
    const rowOnly = Object.fromEntries(
      Object.entries(form).filter(([k]) => !/^(l|stamp):/.test(k) || k.includes(pupil)),
    );
    rowOnly[`l:${pupil}:${items[3]!.id}`] = levels.get(1)!;
    const token = await teacher.csrf(gridUrl());
    const res = await teacher.postRaw(
      `/groups/${groupId}/grid/rows/${pupil}`,
      { ...rowOnly, _csrf: token },
      { 'HX-Request': 'true' },
    );
    expect(res.status).to.equal(200);
    expect(res.text).to.match(/^\s*<tr id="row-/);
    expect(res.text).to.contain(`<template><tr id="concern-row-${pupil}" hx-swap-oob="delete"></tr></template>`);
    expect(res.text).to.match(
      new RegExp(
        `<template><tbody hx-swap-oob="afterend:#row-${pupil}">\\s*<tr id="concern-row-${pupil}" class="concern-row">`,
      ),
    );
    expect(res.text).not.to.contain('#concerns');
  });
});
