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
  const secret = 'RESTRICTED-TEXT-3f9a written by the DSL';
  const teachersSecret = 'RESTRICTED-TEXT-77be written by the class teacher';
  const plain = 'STANDARD-TEXT-81c2 for everyone who teaches her';

  before(async () => {
    app = await startTestApp();
    ids = await demoIds(app.database.su);
    const group = await app.database.su('groups').where({ school_id: ids.oakfield, name: '3 Oak' }).first();
    // A pupil of 3 Oak with no notes yet: the demo seeds notes for a few pupils, and ids are random.
    pupilId = (
      await app.database
        .su('group_members as gm')
        .where({ group_id: group.id })
        .whereNotExists(app.database.su('notes as n').whereRaw('n.pupil_id = gm.pupil_id'))
        .orderBy('gm.pupil_id')
        .first('gm.pupil_id')
    ).pupil_id;
    const dsl = await app.signIn('dsl@oakfield.test');
    expect(
      (
        await dsl.post(
          `/pupils/${pupilId}/notes`,
          { sensitivity: 'restricted', body: secret },
          { tokenFrom: `/pupils/${pupilId}/notes` },
        )
      ).status,
    ).to.equal(303);
    const teacher = await app.signIn('teacher@oakfield.test');
    expect(
      (
        await teacher.post(
          `/pupils/${pupilId}/notes`,
          { sensitivity: 'standard', body: plain },
          { tokenFrom: `/pupils/${pupilId}/notes` },
        )
      ).status,
    ).to.equal(303);
    expect(
      (
        await teacher.post(
          `/pupils/${pupilId}/notes`,
          { sensitivity: 'restricted', body: teachersSecret },
          { tokenFrom: `/pupils/${pupilId}/notes` },
        )
      ).status,
    ).to.equal(303);
    // A second teacher at the school who does not teach this pupil.
    const su = app.database.su;
    const hash = (await su('users').where({ email: 'teacher@oakfield.test' }).first()).password_hash;
    const [other] = await su('users')
      .insert({
        kind: 'staff',
        email: 'teacher2@oakfield.test',
        given_name: 'Omar',
        family_name: 'Other',
        password_hash: hash,
      })
      .returning('id');
    await su('memberships').insert({ user_id: other.id, org_id: ids.oakfield, role: 'teacher' });
  });
  after(() => app.close());

  it('restricted-note visibility for every role: text for the DSL, head, admin and author, a count for other staff, nothing for the rest', async () => {
    const restricted = Number(
      (await app.database.su('notes').where({ pupil_id: pupilId, sensitivity: 'restricted' }).count({ n: '*' }))[0]!.n,
    );
    const byTeacher = Number(
      (
        await app.database
          .su('notes')
          .where({ pupil_id: pupilId, sensitivity: 'restricted', author_id: ids.user('teacher@oakfield.test') })
          .count({ n: '*' })
      )[0]!.n,
    );
    expect([restricted, byTeacher], "the DSL's note and the teacher's").to.deep.equal([2, 1]);
    const countText = (n: number) =>
      n === 1 ? 'There is 1 restricted note about this pupil' : `There are ${n} restricted notes about this pupil`;
    // [who, can read the DSL's note, can read the teacher's note, or the status they get]
    const expectations: [string, boolean | number, boolean?][] = [
      ['dsl@oakfield.test', true, true],
      ['head@oakfield.test', true, true],
      ['admin@oakfield.test', true, true],
      ['senco@oakfield.test', false, false],
      ['teacher@oakfield.test', false, true],
      ['ta@oakfield.test', false, false],
      ['teacher2@oakfield.test', 404],
      ['head@riverside.test', 404],
      ['trust.admin@northstar.test', 403],
      ['officer@westshire.test', 403],
      ['parent@oakfield.test', 403],
      ['operator@waypoint.test', 403],
    ];
    for (const [email, readsDsl, readsTeacher] of expectations) {
      const page = await (await app.signIn(email)).get(`/pupils/${pupilId}/notes`);
      if (typeof readsDsl === 'number') {
        expect(page.status, email).to.equal(readsDsl);
        expect(page.text, email).not.to.contain('RESTRICTED-TEXT');
        expect(page.text, email).not.to.contain(plain);
        continue;
      }
      expect(page.status, email).to.equal(200);
      expect(page.text.includes(secret), `${email} reads the DSL's note`).to.equal(readsDsl);
      expect(page.text.includes(teachersSecret), `${email} reads the teacher's note`).to.equal(readsTeacher);
      expect(page.text, email).to.contain(plain);
      // The DSL, head and admin read every restricted note; the teacher reads only their own.
      const expectedHidden = readsDsl ? 0 : readsTeacher ? restricted - byTeacher : restricted;
      if (expectedHidden) expect(page.text, email).to.contain(countText(expectedHidden));
      else
        expect(page.text, email)
          .not.to.contain('restricted note about this pupil')
          .and.not.to.contain('restricted notes about this pupil');
    }
  });

  it('P11: row-level security hides restricted note text from other staff even with raw SQL', async () => {
    const k = knexFactory({ client: 'pg', connection: app.database.runtimeUrl, pool: { min: 1, max: 1 } });
    const as = async (actor: Actor) =>
      k.transaction(async (trx) => {
        await trx.raw(
          `select set_config('app.user_id', ?, true), set_config('app.kind', ?, true), set_config('app.school_id', ?, true), set_config('app.org_id', ?, true), set_config('app.roles', ?, true)`,
          actorSettings(actor),
        );
        return (
          await trx.raw(
            `select b.body, n.sensitivity from notes n left join note_bodies b on b.note_id = n.id where n.pupil_id = ?`,
            [pupilId],
          )
        ).rows as { body: string | null; sensitivity: string }[];
      });
    try {
      const teacher = await as({
        kind: 'staff',
        userId: ids.user('teacher@oakfield.test'),
        schoolId: ids.oakfield,
        roles: ['teacher'],
        meta: {},
      });
      expect(
        teacher
          .filter((n) => n.sensitivity === 'restricted' && n.body !== teachersSecret)
          .every((n) => n.body === null),
      ).to.equal(true);
      expect(teacher.some((n) => n.body === plain)).to.equal(true);
      expect(
        teacher.some((n) => n.body === teachersSecret),
        'the author reads their own',
      ).to.equal(true);
      expect(teacher.some((n) => n.body === secret)).to.equal(false);
      for (const [email, role] of [
        ['dsl@oakfield.test', 'dsl'],
        ['head@oakfield.test', 'head'],
        ['admin@oakfield.test', 'school_admin'],
      ] as const) {
        const reader = await as({
          kind: 'staff',
          userId: ids.user(email),
          schoolId: ids.oakfield,
          roles: [role],
          meta: {},
        });
        expect(reader.some((n) => n.body === secret) && reader.some((n) => n.body === teachersSecret), email).to.equal(
          true,
        );
      }
      for (const [email, role] of [
        ['senco@oakfield.test', 'senco'],
        ['ta@oakfield.test', 'teaching_assistant'],
      ] as const) {
        const other = await as({
          kind: 'staff',
          userId: ids.user(email),
          schoolId: ids.oakfield,
          roles: [role],
          meta: {},
        });
        expect(
          other.filter((n) => n.sensitivity === 'restricted').every((n) => n.body === null),
          email,
        ).to.equal(true);
        expect(
          other.some((n) => n.body === plain),
          email,
        ).to.equal(true);
      }
      const trust = await as({
        kind: 'trust',
        userId: ids.user('trust.admin@northstar.test'),
        orgId: ids.trust,
        roles: ['trust_admin'],
        meta: {},
      });
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
    const note = await app.database
      .su('notes')
      .where({ pupil_id: pupilId, author_id: ids.user('teacher@oakfield.test') })
      .first();
    const url = `/pupils/${pupilId}/notes/${note.id}`;
    expect(
      (await teacher.post(url, { body: 'Corrected text', version: String(note.version) }, { tokenFrom: `${url}/edit` }))
        .status,
    ).to.equal(303);
    const stale = await teacher.post(
      url,
      { body: 'Older text', version: String(note.version) },
      { tokenFrom: `${url}/edit` },
    );
    expect(stale.status).to.equal(409);
    expect((await app.database.su('note_bodies').where({ note_id: note.id }).first()).body).to.equal('Corrected text');
    const dsl = await app.signIn('dsl@oakfield.test');
    expect((await dsl.get(`${url}/edit`)).status).to.equal(404);
    expect(
      (
        await dsl.post(
          url,
          { body: 'Hijack', version: String(note.version + 1) },
          { tokenFrom: `/pupils/${pupilId}/notes` },
        )
      ).status,
    ).to.equal(403);

    const ta = await app.signIn('ta@oakfield.test');
    expect(
      (
        await ta.post(
          `/pupils/${pupilId}/notes`,
          { sensitivity: 'standard', body: 'x' },
          { tokenFrom: `/pupils/${pupilId}/notes` },
        )
      ).status,
    ).to.equal(403);
    const domain = await app.database
      .su('framework_items')
      .where({ school_id: ids.oakfield, name: 'Relationships with peers' })
      .first();
    const obs = await ta.post(
      `/pupils/${pupilId}/observations`,
      { observed_on: '10/11/2026', body: 'Shared the blocks without prompting.', item_ids: domain.id },
      { tokenFrom: `/pupils/${pupilId}/notes` },
    );
    expect(obs.status).to.equal(303);
    const page = await ta.get(`/pupils/${pupilId}/notes`);
    expect(page.text).to.contain('Shared the blocks without prompting.');
    expect(page.text).to.contain('Relationships with peers');
    const missing = await ta.post(
      `/pupils/${pupilId}/observations`,
      { observed_on: '', body: '' },
      { tokenFrom: `/pupils/${pupilId}/notes` },
    );
    expect(missing.status).to.equal(422);
    expect(missing.text).to.contain('Enter what you saw');
  });

  it('P29: the author editing a note about a restricted pupil is refused (403), the refusal is audited, and the note is unchanged', async () => {
    const teacher = await app.signIn('teacher@oakfield.test');
    const note = await app.database
      .su('notes')
      .where({ pupil_id: pupilId, author_id: ids.user('teacher@oakfield.test'), sensitivity: 'standard' })
      .first();
    const before = (await app.database.su('note_bodies').where({ note_id: note.id }).first()).body;
    const url = `/pupils/${pupilId}/notes/${note.id}`;
    const token = await teacher.csrf(`/pupils/${pupilId}/notes`);
    await app.database.su('pupils').where({ id: pupilId }).update({ restricted_at: app.database.su.fn.now() });
    try {
      const res = await teacher.postRaw(url, {
        _csrf: token,
        body: 'Changed while restricted',
        version: String(note.version),
      });
      expect(res.status).to.equal(403);
      expect(res.text).to.contain('Your role does not allow this');
      expect((await app.database.su('note_bodies').where({ note_id: note.id }).first()).body).to.equal(before);
      const denied = await app.database
        .su('audit_events')
        .where({ action: 'access.denied', actor_user_id: ids.user('teacher@oakfield.test') })
        .orderBy('id', 'desc')
        .first();
      expect(denied.meta).to.deep.equal({ action: 'note.edit' });
    } finally {
      await app.database.su('pupils').where({ id: pupilId }).update({ restricted_at: null });
    }
  });
});
