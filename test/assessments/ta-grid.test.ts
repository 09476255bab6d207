import { expect } from 'chai';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { demoIds, oakClassFramework } from '../helpers/demo.js';

/**
 * Issue 15, item 4: a teaching assistant's grid says plainly what they can do, and shows the
 * scores as text instead of hundreds of disabled selects under "each row saves as you go".
 */
describe('The grid for someone who reads but does not record (issue 15)', function () {
  this.timeout(120_000);
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  it('item 4: a TA sees the scores as text, who records them, and what they can do instead', async () => {
    const { groupId } = await oakClassFramework(app.database.su, await demoIds(app.database.su), 'wellbeing');
    const ta = await app.signIn('ta@oakfield.test');
    const page = await ta.get(`/groups/${groupId}/grid`);
    expect(page.status).to.equal(200);
    expect(page.text).not.to.contain('<select id="cell-');
    expect(page.text).not.to.contain(' disabled');
    expect(page.text).not.to.contain('each row saves as you go');
    expect(page.text).not.to.contain('Save all');
    expect(page.text).to.match(/<span class="cell-value">\d [A-Z][a-z]+/);
    expect(page.text).to.contain(
      'but your role does not record wellbeing: in your school it is recorded by school admins, the head, the DSL, the SENCo and teachers.',
    );
    expect(page.text).to.contain('add an observation of what you saw');

    const teacher = await app.signIn('teacher@oakfield.test');
    const theirs = await teacher.get(`/groups/${groupId}/grid`);
    expect(theirs.text).to.contain('<select id="cell-');
    expect(theirs.text).to.contain('each row saves as you go');
    expect(theirs.text).not.to.contain('your role does not record');
  });
});
