import crypto from 'node:crypto';
import { expect } from 'chai';
import knexFactory, { type Knex } from 'knex';
import { connectDatabase } from '../../src/db/index.js';
import { migrate } from '../../src/db/migrate.js';
import { seedDemo } from '../../src/demo/seed.js';
import { createLogger } from '../../src/logger.js';
import { checkUpn } from '../../src/modules/pupils/upn.js';
import { PasswordHasher } from '../../src/modules/tenancy/passwords.js';
import { roles, testCluster } from '../helpers/cluster.js';

/**
 * The demo seed: deterministic (the same pupils, UPNs and scores every time for the same day),
 * valid (every UPN passes the DfE check), and all or nothing (an interrupted first start leaves
 * nothing behind, so the next start seeds it whole).
 */
describe('Demo data', () => {
  const hasher = new PasswordHasher({ memoryCost: 19456, timeCost: 2 });

  async function emptyDatabase(): Promise<{ url: string; su: Knex; drop(): Promise<void> }> {
    const tc = testCluster();
    const name = `d_${crypto.randomBytes(6).toString('hex')}`;
    const admin = knexFactory({ client: 'pg', connection: tc.superuserUrl(), pool: { min: 0, max: 1 } });
    await admin.raw(`create database ${name} owner ${roles.owner.name}`);
    const owner = knexFactory({ client: 'pg', connection: tc.ownerUrl(name), pool: { min: 0, max: 1 } });
    await migrate(owner, roles.runtime.name);
    await owner.destroy();
    const su = knexFactory({ client: 'pg', connection: tc.superuserUrl(name), pool: { min: 0, max: 1 } });
    return {
      url: tc.runtimeUrl(name),
      su,
      async drop() {
        await su.destroy();
        await admin.raw(`drop database if exists ${name} with (force)`);
        await admin.destroy();
      },
    };
  }

  const pupilsOf = (k: Knex) =>
    k('pupils as p')
      .join('organisations as o', 'o.id', 'p.school_id')
      .select(
        'o.name as school',
        'p.legal_forename',
        'p.surname',
        'p.date_of_birth',
        'p.upn',
        'p.year_group',
        'p.sen_status',
      )
      .orderBy(['o.name', 'p.mis_id']);
  const scoresOf = async (k: Knex) =>
    await k('assessment_scores as s')
      .join('organisations as o', 'o.id', 's.school_id')
      .groupBy('o.name')
      .orderBy('o.name')
      .select('o.name', k.raw('count(*)::int as n'), k.raw('sum(s.value)::int as total'));

  it('seeds the same pupils, UPNs and scores every time, with valid UPNs and a few hundred pupils per school', async function () {
    this.timeout(120_000);
    const empty = await emptyDatabase();
    const template = knexFactory({
      client: 'pg',
      connection: testCluster().superuserUrl('waypoint_template'),
      pool: { min: 0, max: 1 },
    });
    const db = connectDatabase({ runtimeUrl: empty.url, poolMax: 2, logger: createLogger('silent') });
    try {
      expect(await seedDemo(db, hasher)).to.equal(true);
      expect(await seedDemo(db, hasher), 'only once').to.equal(false);
      const seeded = await pupilsOf(empty.su);
      expect(seeded).to.deep.equal(await pupilsOf(template));
      expect(await scoresOf(empty.su)).to.deep.equal(await scoresOf(template));
      const perSchool = Object.fromEntries(
        (
          await empty
            .su('pupils as p')
            .join('organisations as o', 'o.id', 'p.school_id')
            .groupBy('o.name')
            .select('o.name', empty.su.raw('count(*)::int as n'))
        ).map((r) => [r.name, r.n]),
      );
      expect(Object.keys(perSchool)).to.have.length(3);
      for (const [school, n] of Object.entries(perSchool)) expect(n, school).to.be.within(150, 800);
      const bad = seeded.filter((p) => p.upn && !checkUpn(p.upn).valid).map((p) => p.upn);
      expect(bad).to.deep.equal([]);
      expect(seeded.filter((p) => p.upn).length).to.be.greaterThan(seeded.length * 0.9);
    } finally {
      await db.close();
      await template.destroy();
      await empty.drop();
    }
  });

  it('an interrupted seed leaves nothing behind, and the next start seeds it whole', async function () {
    this.timeout(120_000);
    const empty = await emptyDatabase();
    const db = connectDatabase({ runtimeUrl: empty.url, poolMax: 2, logger: createLogger('silent') });
    try {
      // Fail part-way: the third school's pupils cannot be written.
      await empty.su.raw(`create function fail_hillcrest() returns trigger language plpgsql as $$
        begin if (select name from organisations where id = new.school_id) = 'Hillcrest Academy' then raise exception 'interrupted'; end if; return new; end $$`);
      await empty.su.raw(
        `create trigger fail_hillcrest before insert on pupils for each row execute function fail_hillcrest()`,
      );
      let failed = false;
      try {
        await seedDemo(db, hasher);
      } catch {
        failed = true;
      }
      expect(failed).to.equal(true);
      for (const table of ['organisations', 'users', 'pupils', 'assessment_scores', 'audit_events']) {
        expect(Number((await empty.su(table).count({ n: '*' }))[0]!.n), table).to.equal(0);
      }
      await empty.su.raw('drop trigger fail_hillcrest on pupils');
      expect(await seedDemo(db, hasher)).to.equal(true);
      expect(Number((await empty.su('organisations').count({ n: '*' }))[0]!.n)).to.equal(5);
    } finally {
      await db.close();
      await empty.drop();
    }
  });
});
