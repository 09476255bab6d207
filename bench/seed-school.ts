/**
 * Builds the 1,500-pupil, three-year school (performance.md "school" scenario) on a throwaway
 * PostgreSQL and prints how long it took and how big it is.
 *
 *   npm run bench:seed-school            # 1,500 pupils
 *   npm run bench:seed-school -- 3000
 */
import { seedSchool, withBenchDatabase } from './lib.js';

const size = Number(process.argv[2] ?? 1500);
await withBenchDatabase(async (database) => {
  const t0 = performance.now();
  const school = await seedSchool(database, size);
  const ms = Math.round(performance.now() - t0);
  const bytes = (await database.su.raw(`select pg_total_relation_size('assessment_scores') as b`)).rows[0].b;
  console.log(
    `seed-school pupils=${school.pupils} assessment_rows=${school.scores} seed_ms=${ms} assessment_table_mb=${Math.round(Number(bytes) / 1048576)}`,
  );
});
