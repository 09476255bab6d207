import { expect } from 'chai';
import knexFactory, { type Knex } from 'knex';
import type { Actor } from '../../src/policy/index.js';
import { actorSettings, connectDatabase, insertAtCommit, prepared } from '../../src/db/index.js';
import { createLogger } from '../../src/logger.js';
import { freshDatabase, testCluster, type TestDatabase } from '../helpers/cluster.js';
import { demoIds, type DemoIds, staff } from '../helpers/demo.js';

/** Tables outside row-level security, each for a stated reason. */
const outsideRls: Record<string, string> = {
  knex_migrations: 'migration bookkeeping; no grant to the runtime role',
  knex_migrations_lock: 'migration bookkeeping; no grant to the runtime role',
  session: 'connect-pg-simple sessions: a session id, expiry and a user id only',
};

describe('Row-level security (database level, bypassing the app policy)', () => {
  let t: TestDatabase;
  let ids: DemoIds;
  let tables: string[];

  before(async () => {
    t = await freshDatabase();
    ids = await demoIds(t.su);
    tables = (await t.su('pg_tables').where({ schemaname: 'public' }).pluck('tablename')).sort();
  });
  after(() => t.drop());

  /** A raw knex on the runtime role, with a pool of exactly one connection. */
  const runtimePool = (): Knex => knexFactory({ client: 'pg', connection: t.runtimeUrl, pool: { min: 1, max: 1 } });

  async function asActor<T>(k: Knex, actor: Actor, sql: string): Promise<T[]> {
    return k.transaction(async (trx) => {
      await trx.raw(
        `select set_config('app.user_id', ?, true), set_config('app.kind', ?, true), set_config('app.school_id', ?, true), set_config('app.org_id', ?, true), set_config('app.roles', ?, true)`,
        actorSettings(actor),
      );
      return (await trx.raw(sql)).rows as T[];
    });
  }

  it('T1: every table holding school or personal data has RLS enabled and forced', async () => {
    const rows: { relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }[] = (
      await t.su
        .raw(`select c.relname, c.relrowsecurity, c.relforcerowsecurity from pg_class c join pg_namespace n on n.oid = c.relnamespace
                      where n.nspname = 'public' and c.relkind in ('r', 'p')`)
    ).rows;
    expect(rows.length).to.be.greaterThan(10);
    const missing = rows
      .filter((r) => !outsideRls[r.relname] && !(r.relrowsecurity && r.relforcerowsecurity))
      .map((r) => r.relname);
    expect(missing, 'tables without RLS ENABLE + FORCE').to.deep.equal([]);
    for (const name of Object.keys(outsideRls)) expect(tables).to.include(name);
  });

  it('T1: every table with a school_id has an index that leads with it', async () => {
    const rows: { table_name: string; leads: boolean }[] = (
      await t.su.raw(`select c.table_name,
                        exists (select 1 from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
                                 where i.indrelid = (quote_ident(c.table_name))::regclass and a.attname = 'school_id') as leads
                       from information_schema.columns c where c.table_schema = 'public' and c.column_name = 'school_id'`)
    ).rows;
    expect(rows.length).to.be.greaterThan(4);
    expect(rows.filter((r) => !r.leads).map((r) => r.table_name)).to.deep.equal([]);
  });

  it('T1: the runtime role is not superuser, not BYPASSRLS, not the owner and not a member of it', async () => {
    const role = testCluster().runtimeRole;
    const r = (
      await t.su.raw(`select rolsuper, rolbypassrls, rolcreaterole, rolcreatedb from pg_roles where rolname = ?`, [
        role,
      ])
    ).rows[0];
    expect(r).to.deep.equal({ rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false });
    const owned = (
      await t.su.raw(
        `select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
                                   where n.nspname = 'public' and pg_has_role(?, c.relowner, 'USAGE')`,
        [role],
      )
    ).rows[0].n;
    expect(owned).to.equal(0);
  });

  it('T2: with no actor set, the runtime role sees 0 rows in every table under RLS', async () => {
    const k = runtimePool();
    try {
      for (const table of tables.filter((x) => !outsideRls[x])) {
        const { rows } = await k.raw(`select count(*)::int as n from ??`, [table]);
        expect(rows[0].n, table).to.equal(0);
        const total = (await t.su.raw(`select count(*)::int as n from ??`, [table])).rows[0].n;
        if (['pupils', 'users', 'memberships', 'groups', 'audit_events'].includes(table))
          expect(total, `${table} has demo rows`).to.be.greaterThan(0);
      }
    } finally {
      await k.destroy();
    }
  });

  it("T2: an actor set to '' sees no rows either", async () => {
    const k = runtimePool();
    try {
      for (const table of tables.filter((x) => !outsideRls[x])) {
        const n = await k.transaction(async (trx) => {
          await trx.raw(
            `select set_config('app.user_id', '', true), set_config('app.kind', '', true), set_config('app.school_id', '', true), set_config('app.org_id', '', true), set_config('app.roles', '', true)`,
          );
          return (await trx.raw(`select count(*)::int as n from ??`, [table])).rows[0].n;
        });
        expect(n, table).to.equal(0);
      }
    } finally {
      await k.destroy();
    }
  });

  it('T2: one pooled connection alternating actors of two schools leaks nothing', async () => {
    const k = runtimePool();
    const oak = staff(ids, 'head@oakfield.test', ids.oakfield, ['head']);
    const river = staff(ids, 'head@riverside.test', ids.riverside, ['head', 'school_admin']);
    try {
      for (let i = 0; i < 10; i++) {
        for (const [actor, school] of [
          [oak, ids.oakfield],
          [river, ids.riverside],
        ] as const) {
          const rows = await asActor<{ school_id: string }>(k, actor, 'select distinct school_id from pupils');
          expect(rows).to.deep.equal([{ school_id: school }]);
          const after = await k.raw(
            `select count(*)::int as n, current_setting('app.school_id', true) as s from pupils`,
          );
          expect(after.rows[0].n).to.equal(0);
          expect(after.rows[0].s ?? '').to.equal('');
        }
      }
    } finally {
      await k.destroy();
    }
  });

  it('T2: a one-round-trip read (readOnce) is filtered by its actor, leaves nothing on the connection, and takes UUIDs only', async () => {
    const teacher = staff(ids, 'teacher@oakfield.test', ids.oakfield, ['teacher']);
    const river = staff(ids, 'head@riverside.test', ids.riverside, ['head']);
    const count = `select count(*)::int as n, count(*) filter (where school_id = $1)::int as mine from pupils`;
    for (let i = 0; i < 5; i++) {
      expect(await t.db.readOnce(teacher, count, [ids.oakfield])).to.deep.equal([{ n: 30, mine: 30 }]);
      const [riverside] = await t.db.readOnce<{ n: number; mine: number }>(river, count, [ids.riverside]);
      expect(riverside!.n).to.be.greaterThan(30).and.equal(riverside!.mine);
      // The same small pool serves the session store: no actor setting may outlive its statement.
      const after = await t.db.sessionPool.query(
        `select count(*)::int as n, coalesce(current_setting('app.kind', true), '') as kind from pupils`,
      );
      expect(after.rows[0]).to.deep.equal({ n: 0, kind: '' });
    }
    for (const bad of [`${ids.oakfield}' or true --`, 'x', '']) {
      let refused: unknown;
      try {
        await t.db.readOnce(teacher, count, [bad]);
      } catch (err) {
        refused = err;
      }
      expect(refused, bad).to.be.instanceOf(TypeError);
    }
  });

  it("T2: a prepared statement, once its plan is cached, still filters by each transaction's actor on one connection", async () => {
    const db = connectDatabase({ runtimeUrl: t.runtimeUrl, poolMax: 1, logger: createLogger('silent') });
    const teacher = staff(ids, 'teacher@oakfield.test', ids.oakfield, ['teacher']);
    const head = staff(ids, 'head@oakfield.test', ids.oakfield, ['head']);
    const river = staff(ids, 'head@riverside.test', ids.riverside, ['head']);
    const count = (actor: Actor) =>
      db.withActor(actor, async (trx) => {
        const { rows } = await prepared<{ n: number }>(
          trx,
          'rls-test-pupil-count',
          'select count(*)::int as n from pupils where school_id = ?',
          [ids.oakfield],
        );
        const plans = await trx.raw(
          `select generic_plans + custom_plans as runs, generic_plans from pg_prepared_statements where name = 'rls-test-pupil-count'`,
        );
        return { n: rows[0]!.n, ...plans.rows[0] };
      });
    try {
      const wholeSchool = (await count(head)).n;
      expect(wholeSchool).to.be.greaterThan(30);
      let last = { n: 0, runs: 0, generic_plans: 0 };
      for (let i = 0; i < 6; i++) {
        expect((await count(teacher)).n).to.equal(30);
        expect((await count(river)).n).to.equal(0);
        last = await count(head);
        expect(last.n).to.equal(wholeSchool);
      }
      // One connection ran it every time, from one preparation, and PostgreSQL switched to its cached generic plan.
      expect(last.runs).to.equal(19);
      expect(last.generic_plans).to.be.greaterThan(0);
    } finally {
      await db.close();
    }
  });

  it("P11: with a teacher actor set, raw `select * from pupils` returns only that teacher's pupils", async () => {
    const teacher = staff(ids, 'teacher@oakfield.test', ids.oakfield, ['teacher']);
    const k = runtimePool();
    try {
      const seen = await asActor<{ id: string }>(k, teacher, 'select * from pupils');
      const theirs: string[] = await t
        .su('group_members as gm')
        .join('group_staff as gs', 'gs.group_id', 'gm.group_id')
        .where('gs.user_id', teacher.kind === 'staff' ? teacher.userId : '')
        .pluck('gm.pupil_id');
      expect(seen.length).to.equal(30);
      expect(seen.map((p) => p.id).sort()).to.deep.equal([...theirs].sort());
      const schoolTotal = (
        await t.su('pupils').where({ school_id: ids.oakfield }).count<{ count: string }[]>('* as count')
      )[0]!.count;
      expect(Number(schoolTotal)).to.be.greaterThan(200);
    } finally {
      await k.destroy();
    }
  });

  it('P11: a teacher cannot update pupils or read another school even with raw SQL', async () => {
    const teacher = staff(ids, 'teacher@oakfield.test', ids.oakfield, ['teacher']);
    const k = runtimePool();
    try {
      const updated = await k.transaction(async (trx) => {
        await trx.raw(
          `select set_config('app.user_id', ?, true), set_config('app.kind', ?, true), set_config('app.school_id', ?, true), set_config('app.org_id', ?, true), set_config('app.roles', ?, true)`,
          actorSettings(teacher),
        );
        return (await trx.raw(`update pupils set surname = 'Changed'`)).rowCount;
      });
      expect(updated).to.equal(0);
      const forged = { ...teacher, schoolId: ids.riverside } as Actor;
      const rows = await asActor<{ n: number }>(k, forged, 'select count(*)::int as n from pupils');
      expect(rows[0]!.n, 'a teacher with no groups at Riverside sees nobody there').to.equal(0);
    } finally {
      await k.destroy();
    }
  });

  it('P11: every table about one pupil shows exactly the rows of the pupils each role may see', async () => {
    const su = t.su;
    // Some history rows, which the demo does not have: one for a taught pupil, one for another.
    const taughtPupil = (
      await su('group_members as gm')
        .join('group_staff as gs', 'gs.group_id', 'gm.group_id')
        .where('gs.user_id', ids.user('teacher@oakfield.test'))
        .first('gm.pupil_id')
    ).pupil_id;
    const otherPupil = (
      await su('pupils')
        .where({ school_id: ids.oakfield })
        .whereNot({ id: taughtPupil })
        .whereNotIn(
          'id',
          su('group_members as gm')
            .join('group_staff as gs', 'gs.group_id', 'gm.group_id')
            .where('gs.user_id', ids.user('teacher@oakfield.test'))
            .select('gm.pupil_id'),
        )
        .first('id')
    ).id;
    await su('pupil_history').insert(
      [taughtPupil, otherPupil].map((pupil_id) => ({
        school_id: ids.oakfield,
        pupil_id,
        field: 'surname',
        old_value: 'A',
        new_value: 'B',
        source: 'edit',
      })),
    );
    const actors: [string, Actor][] = [
      ['admin', staff(ids, 'admin@oakfield.test', ids.oakfield, ['school_admin'])],
      ['head', staff(ids, 'head@oakfield.test', ids.oakfield, ['head'])],
      ['dsl', staff(ids, 'dsl@oakfield.test', ids.oakfield, ['dsl'])],
      ['senco', staff(ids, 'senco@oakfield.test', ids.oakfield, ['senco'])],
      ['teacher', staff(ids, 'teacher@oakfield.test', ids.oakfield, ['teacher'])],
      ['ta', staff(ids, 'ta@oakfield.test', ids.oakfield, ['teaching_assistant'])],
      ['other school', staff(ids, 'head@riverside.test', ids.riverside, ['head'])],
      [
        'trust',
        {
          kind: 'trust',
          userId: ids.user('trust.admin@northstar.test'),
          orgId: ids.trust,
          roles: ['trust_admin'],
          meta: {},
        },
      ],
      ['parent', { kind: 'parent', userId: ids.user('parent@oakfield.test'), meta: {} }],
      ['operator', { kind: 'operator', userId: ids.user('operator@waypoint.test'), meta: {} }],
    ];
    const tables = [
      'pupil_contacts',
      'pupil_fsm_periods',
      'pupil_support_flags',
      'pupil_history',
      'observations',
      'notes',
      'assessment_scores',
    ];
    const k = runtimePool();
    try {
      for (const table of tables)
        expect(
          Number((await su(table).where({ school_id: ids.oakfield }).count({ n: '*' }))[0]!.n),
          `${table} has Oakfield rows`,
        ).to.be.greaterThan(0);
      for (const [who, actor] of actors) {
        const pupils = new Set((await asActor<{ id: string }>(k, actor, 'select id from pupils')).map((p) => p.id));
        for (const table of tables) {
          // Only staff of the school read these, as in the app's matrix; trusts see pupil rows of
          // sharing schools but nothing about them beyond that (yet).
          const readable = actor.kind === 'staff';
          const seen = (await asActor<{ id: string }>(k, actor, `select id::text from ${table}`))
            .map((r) => r.id)
            .sort();
          const expected =
            readable && pupils.size
              ? (
                  await su(table)
                    .whereIn('pupil_id', [...pupils])
                    .select(su.raw('id::text as id'))
                )
                  .map((r: { id: string }) => r.id)
                  .sort()
              : [];
          expect(
            seen.length === expected.length && seen.every((id, i) => id === expected[i]),
            `${table} as ${who}: ${seen.length} rows, expected ${expected.length}`,
          ).to.equal(true);
        }
      }
    } finally {
      await k.destroy();
      await su('pupil_history')
        .whereIn('pupil_id', [taughtPupil, otherPupil])
        .where({ old_value: 'A', new_value: 'B' })
        .del();
    }
  });

  it("P11: a teacher's pupils computed once at BEGIN (withActor) show every role the same rows as computing them per statement", async () => {
    const db = connectDatabase({ runtimeUrl: t.runtimeUrl, poolMax: 1, logger: createLogger('silent') });
    const k = runtimePool();
    const actors: [string, Actor][] = [
      ['head', staff(ids, 'head@oakfield.test', ids.oakfield, ['head'])],
      ['teacher', staff(ids, 'teacher@oakfield.test', ids.oakfield, ['teacher'])],
      ['ta', staff(ids, 'ta@oakfield.test', ids.oakfield, ['teaching_assistant'])],
      ['teacher elsewhere', staff(ids, 'teacher@oakfield.test', ids.riverside, ['teacher'])],
      ['parent', { kind: 'parent', userId: ids.user('parent@oakfield.test'), meta: {} }],
    ];
    const tables = ['pupils', 'pupil_contacts', 'pupil_history', 'observations', 'notes', 'assessment_scores'];
    try {
      for (const [who, actor] of actors) {
        const onceSet = await db.withActor(actor, (trx) =>
          trx.raw(`select current_setting('app.taught_for', true) as taught_for`),
        );
        const computedOnce =
          actor.kind === 'staff' && !actor.roles.includes('head') ? `${actor.userId}/${actor.schoolId}` : '';
        expect(onceSet.rows[0].taught_for ?? '', `${who}: the set is computed at BEGIN for teachers only`).to.equal(
          computedOnce,
        );
        for (const table of tables) {
          const sql = `select id::text from ${table} order by id`;
          const perStatement = (await asActor<{ id: string }>(k, actor, sql)).map((r) => r.id);
          const once = (await db.withActor(actor, (trx) => trx.raw(sql))).rows.map((r: { id: string }) => r.id);
          expect(once, `${table} as ${who}`).to.deep.equal(perStatement);
        }
      }
      const teacherPupils = await db.withActor(actors[1]![1], (trx) =>
        trx.raw('select count(*)::int as n from pupils'),
      );
      expect(teacherPupils.rows[0].n).to.equal(30);
    } finally {
      await k.destroy();
      await db.close();
    }
  });

  it('P11: a teacher given a group mid-transaction sees its pupils from the next statement; a set computed for someone else is never used', async () => {
    const db = connectDatabase({ runtimeUrl: t.runtimeUrl, poolMax: 1, logger: createLogger('silent') });
    const teacher = staff(ids, 'teacher@oakfield.test', ids.oakfield, ['teacher']);
    const teacherId = ids.user('teacher@oakfield.test');
    const other = await t
      .su('groups as g')
      .where({ 'g.school_id': ids.oakfield })
      .whereNull('g.archived_at')
      .whereNotExists(t.su('group_staff as gs').whereRaw('gs.group_id = g.id').where('gs.user_id', teacherId))
      .whereExists(t.su('group_members as gm').whereRaw('gm.group_id = g.id'))
      .first('g.id');
    const k = runtimePool();
    try {
      const counts = await db.withActor(teacher, async (trx) => {
        const count = async () => (await trx.raw('select count(*)::int as n from pupils')).rows[0].n as number;
        const before = await count();
        await db.asSystem(
          trx,
          teacher,
          () =>
            trx('group_staff').insert({
              school_id: ids.oakfield,
              group_id: other.id,
              user_id: teacherId,
              role: 'teacher',
            }),
          ids.oakfield,
        );
        const after = await count();
        await trx('group_staff').where({ group_id: other.id, user_id: teacherId }).del();
        return { before, after, afterRemoval: await count() };
      });
      expect(counts.before).to.equal(30);
      expect(counts.after).to.be.greaterThan(30);
      // The teacher may not remove themself (RLS), so the assignment is undone as superuser.
      expect(counts.afterRemoval).to.equal(counts.after);
      await t.su('group_staff').where({ group_id: other.id, user_id: teacherId }).del();
      // A whole school's pupils in app.taught_pupils, computed "for" another teacher: not used.
      const forged = await k.transaction(async (trx) => {
        await trx.raw(
          `select set_config('app.user_id', ?, true), set_config('app.kind', ?, true), set_config('app.school_id', ?, true), set_config('app.org_id', ?, true), set_config('app.roles', ?, true)`,
          actorSettings(teacher),
        );
        const all: string[] = await t.su('pupils').where({ school_id: ids.oakfield }).pluck('id');
        await trx.raw(`select set_config('app.taught_pupils', ?, true), set_config('app.taught_for', ?, true)`, [
          `{${all.join(',')}}`,
          `${ids.user('ta@oakfield.test')}/${ids.oakfield}`,
        ]);
        return (await trx.raw('select count(*)::int as n from pupils')).rows[0].n as number;
      });
      expect(forged).to.equal(counts.before);
    } finally {
      await t.su('group_staff').where({ group_id: other.id, user_id: teacherId }).del();
      await k.destroy();
      await db.close();
    }
  });

  it('P1: the operator sees no pupil, parent link, group membership or non-admin staff row', async () => {
    const operator: Actor = { kind: 'operator', userId: ids.user('operator@waypoint.test'), meta: {} };
    const k = runtimePool();
    try {
      for (const table of [
        'pupils',
        'parent_links',
        'group_members',
        'group_staff',
        'groups',
        'pupil_contacts',
        'pupil_fsm_periods',
        'pupil_support_flags',
        'pupil_history',
        'support_flags',
        'import_files',
      ]) {
        const rows = await asActor<{ n: number }>(k, operator, `select count(*)::int as n from ${table}`);
        expect(rows[0]!.n, table).to.equal(0);
      }
      const emails = (await asActor<{ email: string }>(k, operator, 'select email from users')).map((u) => u.email);
      expect(emails).to.include('admin@oakfield.test');
      expect(emails).not.to.include('teacher@oakfield.test');
      expect(emails).not.to.include('parent@oakfield.test');
    } finally {
      await k.destroy();
    }
  });

  it('P2: trust users see pupil rows only of schools sharing with the trust, and restricted pupils never', async () => {
    const trust: Actor = {
      kind: 'trust',
      userId: ids.user('trust.admin@northstar.test'),
      orgId: ids.trust,
      roles: ['trust_admin'],
      meta: {},
    };
    const k = runtimePool();
    try {
      const before = await asActor<{ school_id: string; n: number }>(
        k,
        trust,
        'select school_id, count(*)::int as n from pupils group by school_id',
      );
      expect(before.map((r) => r.school_id)).to.deep.equal([ids.oakfield]);
      const restrictedId = (await t.su('pupils').where({ school_id: ids.oakfield }).first('id')).id;
      await t.su('pupils').where({ id: restrictedId }).update({ restricted_at: t.su.fn.now() });
      const withRestricted = await asActor<{ id: string }>(k, trust, 'select id from pupils');
      expect(withRestricted.map((r) => r.id)).not.to.include(restrictedId);
      expect(withRestricted.length).to.equal(before[0]!.n - 1);
      await t.su('school_settings').where({ school_id: ids.oakfield }).update({ share_with_trust: false });
      const after = await asActor<{ n: number }>(k, trust, 'select count(*)::int as n from pupils');
      expect(after[0]!.n).to.equal(0);
    } finally {
      await t.su('school_settings').where({ school_id: ids.oakfield }).update({ share_with_trust: true });
      await t.su('pupils').update({ restricted_at: null });
      await k.destroy();
    }
  });

  it('P3: local-authority users see only schools sharing with their LA, under the same consent model', async () => {
    const la: Actor = {
      kind: 'la',
      userId: ids.user('officer@westshire.test'),
      orgId: ids.la,
      roles: ['la_officer'],
      meta: {},
    };
    const k = runtimePool();
    try {
      const rows = await asActor<{ school_id: string }>(k, la, 'select distinct school_id from pupils');
      expect(rows).to.deep.equal([{ school_id: ids.hillcrest }]);
      await t.su('school_settings').where({ school_id: ids.hillcrest }).update({ share_with_la: false });
      expect((await asActor<{ n: number }>(k, la, 'select count(*)::int as n from pupils'))[0]!.n).to.equal(0);
    } finally {
      await t.su('school_settings').where({ school_id: ids.hillcrest }).update({ share_with_la: true });
      await k.destroy();
    }
  });

  it('P13: an insert sent with COMMIT commits with its transaction; a failed one fails it, rolls back its writes and leaves the connection clean', async () => {
    const db = connectDatabase({ runtimeUrl: t.runtimeUrl, poolMax: 1, logger: createLogger('silent') });
    const head = staff(ids, 'head@oakfield.test', ids.oakfield, ['head']);
    const requestId = `at-commit-${Date.now()}`;
    const row = (action: string) => ({
      school_id: ids.oakfield,
      actor_user_id: head.kind === 'staff' ? head.userId : null,
      actor_kind: 'staff',
      action,
      outcome: 'ok',
      request_id: requestId,
      meta: { quote: "it's \\ fine" },
      fields: ['a', 'b'],
    });
    try {
      await db.withActor(head, async (trx) => {
        await insertAtCommit(trx, 'audit_events', row('test.committed'));
        // Not yet written: it waits for COMMIT.
        const now = await trx('audit_events').where({ request_id: requestId }).count({ n: '*' });
        expect(Number(now[0]!.n)).to.equal(0);
      });
      const failed = await db
        .withActor(head, async (trx) => {
          await trx('audit_events').insert(row('test.rolled_back'));
          await insertAtCommit(trx, 'audit_events', { ...row('test.failed'), no_such_column: 1 });
        })
        .then(
          () => null,
          (err: Error) => err,
        );
      expect(failed?.message).to.match(/no_such_column/);
      // The one pooled connection is usable and outside any transaction.
      const status = await db.withActor(head, (trx) => trx.raw('select 1 as ok'));
      expect(status.rows[0].ok).to.equal(1);
      const written = await t.su('audit_events').where({ request_id: requestId }).select('action', 'meta', 'fields');
      expect(written).to.deep.equal([
        { action: 'test.committed', meta: { quote: "it's \\ fine" }, fields: ['a', 'b'] },
      ]);
    } finally {
      await db.close();
    }
  });

  it('L2: the runtime role may INSERT and SELECT the audit log but never UPDATE, DELETE or TRUNCATE it', async () => {
    const admin = staff(ids, 'admin@oakfield.test', ids.oakfield, ['school_admin']);
    const k = runtimePool();
    try {
      const visible = await asActor<{ n: number }>(k, admin, 'select count(*)::int as n from audit_events');
      expect(visible[0]!.n).to.be.greaterThan(0);
      for (const sql of [
        `update audit_events set action = 'x.y'`,
        'delete from audit_events',
        'truncate audit_events',
      ]) {
        let error: Error | undefined;
        try {
          await asActor(k, admin, sql);
        } catch (e) {
          error = e as Error;
        }
        expect(error?.message, sql).to.match(/permission denied/);
      }
      const privileges = (
        await t.su.raw(
          `select has_table_privilege(?, 'audit_events', 'UPDATE') as u, has_table_privilege(?, 'audit_events', 'DELETE') as d,
                                                 has_table_privilege(?, 'audit_events', 'INSERT') as i, has_table_privilege(?, 'audit_events', 'SELECT') as s`,
          Array(4).fill(testCluster().runtimeRole),
        )
      ).rows[0];
      expect(privileges).to.deep.equal({ u: false, d: false, i: true, s: true });
    } finally {
      await k.destroy();
    }
  });
});
