import crypto from 'node:crypto';
import { expect } from 'chai';
import knexFactory, { type Knex } from 'knex';
import { migrate, migratorConfig } from '../../src/db/migrate.js';
import { roles, testCluster } from '../helpers/cluster.js';

/**
 * A school that has used Waypoint for a while upgrades with its data in place. For each earlier
 * migration, an empty database is migrated to that point and filled with the demo data (the
 * columns that existed then), then migrated to the latest. Every row must still be there, and
 * backfilled columns must match a database built at the latest version. Migrations run as the
 * owner, which row-level security (FORCE) also binds, so a data step that forgets it sees no rows.
 */
describe('Migrations upgrade a database that already holds data', () => {
  const template = 'waypoint_template';
  let source: Knex;
  let names: string[];
  let tables: string[];

  before(async () => {
    source = knexFactory({ client: 'pg', connection: testCluster().superuserUrl(template), pool: { min: 0, max: 1 } });
    const config = migratorConfig();
    names = (await config.migrationSource!.getMigrations([])).map((m) => config.migrationSource!.getMigrationName(m));
    tables = (
      await source('pg_tables')
        .where({ schemaname: 'public' })
        .whereNotIn('tablename', ['knex_migrations', 'knex_migrations_lock', 'session'])
        .pluck('tablename')
    ).sort();
  });
  after(() => source.destroy());

  async function columnsOf(k: Knex, table: string): Promise<string[]> {
    return k('information_schema.columns')
      .where({ table_schema: 'public', table_name: table, is_generated: 'NEVER' })
      .andWhere((q) => q.whereNull('identity_generation').orWhereNot({ identity_generation: 'ALWAYS' }))
      .pluck('column_name');
  }

  /**
   * Copies the demo rows into `target`, table by table, with triggers and foreign-key checks off.
   * Returns the tables copied (those that existed at that version).
   */
  async function copyDemoInto(target: Knex): Promise<string[]> {
    const present: string[] = await target('pg_tables').where({ schemaname: 'public' }).pluck('tablename');
    const copied = tables.filter((t) => present.includes(t));
    await target.transaction(async (trx) => {
      await trx.raw(`set local session_replication_role = replica`);
      for (const table of copied) {
        const then = new Set(await columnsOf(trx, table));
        const columns = (await columnsOf(source, table)).filter((c) => then.has(c));
        const rows = await source(table).select(columns);
        for (let i = 0; i < rows.length; i += 1000) await trx(table).insert(rows.slice(i, i + 1000));
      }
    });
    return copied;
  }

  const counts = async (k: Knex, of: string[]) =>
    Object.fromEntries(
      await Promise.all(of.map(async (t) => [t, Number((await k(t).count({ n: '*' }))[0]!.n)] as const)),
    );

  it('every earlier version, holding the demo data, migrates to the latest with every row kept and backfills right', async function () {
    this.timeout(300_000);
    const tc = testCluster();
    const expected = await counts(source, tables);
    const expectedSequences = await source('assessment_scores').select('id', 'term_sequence').orderBy('id');
    for (let done = 1; done < names.length; done++) {
      const name = `u_${crypto.randomBytes(6).toString('hex')}`;
      const admin = knexFactory({ client: 'pg', connection: tc.superuserUrl(), pool: { min: 0, max: 1 } });
      await admin.raw(`create database ${name} owner ${roles.owner.name}`);
      const owner = knexFactory({ client: 'pg', connection: tc.ownerUrl(name), pool: { min: 0, max: 1 } });
      const su = knexFactory({ client: 'pg', connection: tc.superuserUrl(name), pool: { min: 0, max: 1 } });
      try {
        for (let i = 0; i < done; i++) await owner.migrate.up(migratorConfig());
        const copied = await copyDemoInto(su);
        const applied = await migrate(owner, roles.runtime.name);
        expect(applied, `from ${names[done - 1]}`).to.deep.equal(names.slice(done));
        const kept = Object.fromEntries(copied.map((t) => [t, expected[t]]));
        expect(kept.pupils, 'the copy holds pupils').to.be.greaterThan(0);
        expect(await counts(su, copied), `rows after upgrading from ${names[done - 1]}`).to.deep.equal(kept);
        if (copied.includes('assessment_scores')) {
          expect(
            await su('assessment_scores').select('id', 'term_sequence').orderBy('id'),
            `term_sequence from ${names[done - 1]}`,
          ).to.deep.equal(expectedSequences);
        }
      } finally {
        await Promise.all([owner.destroy(), su.destroy()]);
        await admin.raw(`drop database if exists ${name} with (force)`);
        await admin.destroy();
      }
    }
  });
});
