import { expect } from 'chai';
import { modules } from '../../src/app.js';
import { projectRoot } from '../../src/paths.js';
import { freshDatabase } from '../helpers/cluster.js';
import { ownershipViolations, tablesNamed } from './table-names.js';

/**
 * Issue 9: only the owning module's code names its tables. Every table of the migrated database
 * has exactly one owner; every .ts file under src/modules/<m>/ names (in knex calls and SQL text)
 * only tables that <m> owns. Other modules' data is reached through the owner's index.ts services,
 * in the caller's transaction. migrations/, src/db and src/demo are not modules and may name any.
 */

/** The one ownership list: each module's description declares its tables (WaypointModule.tables). */
const tablesByModule: Record<string, readonly string[]> = Object.fromEntries(modules.map((m) => [m.name, m.tables]));

/** Tables no module owns: the kernel's own, and why. */
const kernelTables: Record<string, string> = {
  idempotency_keys: 'src/db/idempotency.ts: one submission per form key, for every module',
  knex_migrations: "knex's record of the migrations run (src/db/migrate.ts)",
  knex_migrations_lock: "knex's migration lock",
};

const ownerOf = new Map(
  Object.entries(tablesByModule).flatMap(([module, tables]) => tables.map((t) => [t, module] as [string, string])),
);

describe('Structure: every table has one owning module, and only its code names it', () => {
  let found: ReturnType<typeof ownershipViolations>;
  before(() => {
    found = ownershipViolations(projectRoot, ownerOf);
  });

  it('Structure: every table of the migrated database is owned by exactly one module (or is the kernel’s)', async () => {
    const database = await freshDatabase();
    try {
      const rows: { table_name: string }[] = await database.su
        .select('table_name')
        .from('information_schema.tables')
        .where({ table_schema: 'public', table_type: 'BASE TABLE' });
      const inDatabase = rows.map((r) => r.table_name).sort();
      const listed = [...Object.values(tablesByModule).flat(), ...Object.keys(kernelTables)];
      const twice = listed.filter((t, i) => listed.indexOf(t) !== i);
      expect(twice, 'tables listed for more than one owner').to.deep.equal([]);
      expect(
        inDatabase.filter((t) => !listed.includes(t)),
        'tables no module owns',
      ).to.deep.equal([]);
      expect(
        listed.filter((t) => !inDatabase.includes(t)),
        'owned tables that do not exist',
      ).to.deep.equal([]);
    } finally {
      await database.drop();
    }
  });

  it('Structure: a module’s files name no table another module owns (knex calls and SQL text)', () => {
    const unexpected = found.map((v) => `${v.file}:${v.line} names ${v.table} (owned by ${v.owner}) in ${v.how}`);
    expect(unexpected, 'use the owning module’s index.ts service instead').to.deep.equal([]);
  });

  it('Structure: the scanner finds tables in knex calls and SQL text, and not in comments or other words', () => {
    const known = new Set(['pupils', 'groups', 'users', 'notes', 'group_staff', 'parent_links']);
    const source = [
      "const a = trx('pupils as p').join('groups as g', 'g.id', 'p.group_id');",
      "const b = db.select('*').from('users').leftJoin('notes', 'x', 'y');",
      'const c = trx.raw(`select 1 where exists (select 1 from group_staff gs where ${x}) and y in (select id from ${t})`);',
      "const d = trx.insert({}).into('parent_links');",
      "class User { static tableName = 'users'; }",
      'const e = \'delete from pupils where id = ?\'; const f = "update groups set name = ?";',
      '// trx("notes") from notes: a comment names nothing',
      "throw new NotFound('pupils'); const g = { notes: 1 }; const h = 'groups';",
    ].join('\n');
    const uses = tablesNamed(source, known).map((u) => `${u.line} ${u.table}`);
    expect(uses).to.have.members([
      '1 pupils',
      '1 groups',
      '2 users',
      '2 notes',
      '3 group_staff',
      '4 parent_links',
      '5 users',
      '6 pupils',
      '6 groups',
    ]);
  });
});
