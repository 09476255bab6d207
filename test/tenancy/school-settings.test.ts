import { expect } from 'chai';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { demoIds, type DemoIds, oakClassFramework } from '../helpers/demo.js';

/** Issue 15, item 18: the deputy DSL in the prompt, the DSL's email as a link, role names in words. */
describe('School settings: the DSL and deputy, and role names', () => {
  let app: TestApp;
  let ids: DemoIds;
  before(async () => {
    app = await startTestApp();
    ids = await demoIds(app.database.su);
  });
  after(() => app.close());

  it('a deputy DSL saved in settings is named in the prompt, and email addresses in the contacts are links', async () => {
    const admin = await app.signIn('admin@oakfield.test');
    const page = await admin.get('/settings');
    expect(page.text).to.contain('name="deputy_dsl_name"');
    const settings = await app.database.su('school_settings').where({ school_id: ids.oakfield }).first();
    const saved = await admin.post(
      '/settings',
      {
        version: String(settings.version),
        share_with_trust: settings.share_with_trust ? 'on' : undefined,
        share_with_la: settings.share_with_la ? 'on' : undefined,
        mis_import_allowed: settings.mis_import_allowed ? 'on' : undefined,
        dsl_name: settings.dsl_name,
        dsl_contact: settings.dsl_contact,
        deputy_dsl_name: 'Priya Patel',
        deputy_dsl_contact: 'Room 4 or p.patel@oakfield.test',
        rule_score_one: 'on',
        rule_drop: '2',
        rule_safety: '2',
      },
      { tokenFrom: '/settings' },
    );
    expect(saved.status).to.equal(303);
    const after = await app.database.su('school_settings').where({ school_id: ids.oakfield }).first();
    expect(after).to.include({ deputy_dsl_name: 'Priya Patel', deputy_dsl_contact: 'Room 4 or p.patel@oakfield.test' });

    const teacher = await app.signIn('teacher@oakfield.test');
    const { groupId, framework, items, levels, term } = await oakClassFramework(app.database.su, ids, 'wellbeing');
    const pupil = (await app.database.su('group_members').where({ group_id: groupId }).first()).pupil_id;
    // A pupil with nothing recorded yet this term, so the save is not a conflict.
    await app.database.su('assessment_scores').where({ pupil_id: pupil, term_id: term.id }).del();
    const form: Record<string, string> = {
      framework_id: framework.id,
      term_id: term.id,
      assessed_on: term.starts_on.split('-').reverse().join('/'),
      [`stamp:${pupil}`]: '',
    };
    for (const item of items) form[`l:${pupil}:${item.id}`] = levels.get(1)!;
    const res = await teacher.post(`/groups/${groupId}/grid`, form, { tokenFrom: `/groups/${groupId}/grid` });
    expect(res.status).to.equal(200);
    expect(res.text).to.contain(
      '<strong>Dan Shah</strong> (<a href="mailto:dsl@oakfield.test">dsl@oakfield.test</a>, ext. 214)',
    );
    expect(res.text).to.contain(
      'or the deputy DSL, <strong>Priya Patel</strong> (Room 4 or <a href="mailto:p.patel@oakfield.test">p.patel@oakfield.test</a>)',
    );
  });

  it('role names are shown in words where a person chooses where to work', async () => {
    const userId = ids.user('dsl@oakfield.test');
    await app.database.su('memberships').insert({ user_id: userId, org_id: ids.riverside, role: 'teaching_assistant' });
    try {
      const b = await app.signIn('dsl@oakfield.test');
      const choose = await b.get('/choose');
      expect(choose.text).to.contain('Designated safeguarding lead');
      expect(choose.text).to.contain('Teaching assistant');
      expect(choose.text).not.to.match(/teaching_assistant<|>dsl</);
    } finally {
      await app.database.su('memberships').where({ user_id: userId, org_id: ids.riverside }).del();
    }
  });
});
