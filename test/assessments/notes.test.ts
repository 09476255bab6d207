import { expect } from 'chai';
import knexFactory from 'knex';
import { actorSettings } from '../../src/db/index.js';
import type { Actor } from '../../src/policy/index.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { demoIds, type DemoIds } from '../helpers/demo.js';

/**
 * Restricted notes: only the DSL, the head, the school admin and the author read the text; other
 * staff who can see the pupil see that restricted notes exist and how many. Enforced by the policy
 * and again by row-level security on note_bodies.
 */
describe('Notes and observations', () => {
  let app: TestApp;
  let ids: DemoIds;
  let pupilId: string;
  const secret = 'RESTRICTED-TEXT-3f9a written by the SENCo';
  const plain = 'STANDARD-TEXT-81c2 for everyone who teaches her';

  before(async () => {
    app = await startTestApp();
    ids = await demoIds(app.database.su);
    const group = await app.database.su('groups').where({ school_id: ids.oakfield, name: '3 Oak' }).first();
    pupilId = (await app.database.su('group_members').where({ group_id: group.id }).orderBy('pupil_id').first()).pupil_id;
    const senco = await app.signIn('senco@oakfield.test');
    expect((await senco.post(`/pupils/${pupilId}/notes`, { sensitivity: 'restricted', body: secret }, { tokenFrom: `/pupils/${pupilId}/notes` })).status).to.equal(303);
    const teacher = await app.signIn('teacher@oakfield.test');
    expect((await teacher.post(`/pupils/${pupilId}/notes`, { sensitivity: 'standard', body: plain }, { tokenFrom: `/pupils/${pupilId}/notes` })).status).to.equal(303);
  });
  after(() => app.close());

  it('restricted-note visibility for every role: text for the circle, a count for other staff, nothing for the rest', async () => {
    const expectations: [string, 'text' | 'count' | 403 | 404][] = [
      ['dsl@oakfield.test', 'text'], ['head@oakfield.test', 'text'], ['admin@oakfield.test', 'text'], ['senco@oakfield.test', 'text'],
      ['teacher@oakfield.test', 'count'], ['ta@oakfield.test', 'count'],
      ['head@riverside.test', 404], ['trust.admin@northstar.test', 403], ['officer@westshire.test', 403], ['parent@oakfield.test', 403], ['operator@waypoint.test', 403],
    ];
    for (const [email, expected] of expectations) {
      const page = await (await app.signIn(email)).get(`/pupils/${pupilId}/notes`);
      if (typeof expected === 'number') {
        expect(page.status, email).to.equal(expected);
        expect(page.text).not.to.contain(secret);
        continue;
      }
      expect(page.status, email).to.equal(200);
      if (expected === 'text') {
        expect(page.text, email).to.contain(secret);
      } else {
        expect(page.text, email).not.to.contain(secret);
        expect(page.text, email).to.match(/There are 2 restricted notes|There is 1 restricted note/);
        expect(page.text, email).to.contain(plain);
      }
    }
  });

  it('P11: row-level security hides restricted note text from other staff even with raw SQL', async () => {
    const k = knexFactory({ client: 'pg', connection: app.database.runtimeUrl, pool: { min: 1, max: 1 } });
    const as = async (actor: Actor) => k.transaction(async (trx) => {
      await trx.raw(`select set_config('app.user_id', ?, true), set_config('app.kind', ?, true), set_config('app.school_id', ?, true), set_config('app.org_id', ?, true), set_config('app.roles', ?, true)`, actorSettings(actor));
      return (await trx.raw(`select b.body, n.sensitivity from notes n left join note_bodies b on b.note_id = n.id where n.pupil_id = ?`, [pupilId])).rows as { body: string | null; sensitivity: string }[];
    });
    try {
      const teacher = await as({ kind: 'staff', userId: ids.user('teacher@oakfield.test'), schoolId: ids.oakfield, roles: ['teacher'], meta: {} });
      expect(teacher.filter((n) => n.sensitivity === 'restricted').every((n) => n.body === null)).to.equal(true);
      expect(teacher.some((n) => n.body === plain)).to.equal(true);
      const dsl = await as({ kind: 'staff', userId: ids.user('dsl@oakfield.test'), schoolId: ids.oakfield, roles: ['dsl'], meta: {} });
      expect(dsl.some((n) => n.body === secret)).to.equal(true);
      const trust = await as({ kind: 'trust', userId: ids.user('trust.admin@northstar.test'), orgId: ids.trust, roles: ['trust_admin'], meta: {} });
      expect(trust).to.deep.equal([]);
    } finally {
      await k.destroy();
    }
  });

  it('L2 and P13: note bodies never reach the audit log or the logs, though writing and reading are audited', async () => {
    const audit = JSON.stringify(await app.database.su('audit_events').where({ entity_id: pupilId }));
    expect(audit).to.contain('note.written');
    expect(audit).to.contain('note.viewed');
    expect(audit).not.to.contain('RESTRICTED-TEXT');
    expect(audit).not.to.contain('STANDARD-TEXT');
    expect(app.logs.join('')).not.to.match(/RESTRICTED-TEXT|STANDARD-TEXT/);
  });

  it('only the author changes a note; a stale change is refused; teaching assistants record observations but not notes', async () => {
    const teacher = await app.signIn('teacher@oakfield.test');
    const note = await app.database.su('notes').where({ pupil_id: pupilId, author_id: ids.user('teacher@oakfield.test') }).first();
    const url = `/pupils/${pupilId}/notes/${note.id}`;
    expect((await teacher.post(url, { body: 'Corrected text', version: String(note.version) }, { tokenFrom: `${url}/edit` })).status).to.equal(303);
    const stale = await teacher.post(url, { body: 'Older text', version: String(note.version) }, { tokenFrom: `${url}/edit` });
    expect(stale.status).to.equal(409);
    expect((await app.database.su('note_bodies').where({ note_id: note.id }).first()).body).to.equal('Corrected text');
    const dsl = await app.signIn('dsl@oakfield.test');
    expect((await dsl.get(`${url}/edit`)).status).to.equal(404);
    expect((await dsl.post(url, { body: 'Hijack', version: String(note.version + 1) }, { tokenFrom: `/pupils/${pupilId}/notes` })).status).to.equal(403);

    const ta = await app.signIn('ta@oakfield.test');
    expect((await ta.post(`/pupils/${pupilId}/notes`, { sensitivity: 'standard', body: 'x' }, { tokenFrom: `/pupils/${pupilId}/notes` })).status).to.equal(403);
    const domain = await app.database.su('framework_items').where({ school_id: ids.oakfield, name: 'Relationships with peers' }).first();
    const obs = await ta.post(`/pupils/${pupilId}/observations`, { observed_on: '10/11/2026', body: 'Shared the blocks without prompting.', item_ids: domain.id }, { tokenFrom: `/pupils/${pupilId}/notes` });
    expect(obs.status).to.equal(303);
    const page = await ta.get(`/pupils/${pupilId}/notes`);
    expect(page.text).to.contain('Shared the blocks without prompting.');
    expect(page.text).to.contain('Relationships with peers');
    const missing = await ta.post(`/pupils/${pupilId}/observations`, { observed_on: '', body: '' }, { tokenFrom: `/pupils/${pupilId}/notes` });
    expect(missing.status).to.equal(422);
    expect(missing.text).to.contain('Enter what you saw');
  });
});
