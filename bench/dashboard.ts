/**
 * School dashboard (performance.md: < 150 ms for a single request, 1,500 pupils, with the
 * vulnerable-group comparison; ≤ 1.3 × the same figures computed by bare SQL in the same run).
 * Sequential requests through the real app, each followed by the dashboard's own SQL through plain
 * pg as a superuser (no session, policy, RLS, audit or HTML; the SQL is copied in
 * dashboard-sql.ts), and the ratio of the medians. Prints figures; never fails on a time.
 *
 *   npm run bench:dashboard            # 30 requests
 *   npm run bench:dashboard -- 100
 */
import pg from 'pg';
import { testCluster } from '../test/helpers/cluster.js';
import { dashboardSql, frameworksSql, plannerSettingsSql, termsSql } from './dashboard-sql.js';
import { percentile, round1, seedSchool, signInCookie, startBenchServer, withBenchDatabase } from './lib.js';

const requests = Number(process.argv[2] ?? 30);
const none = '00000000-0000-0000-0000-000000000000';

interface Term {
  id: string;
  sequence: number;
  starts_on: string;
  ends_on: string;
}

/** Dates as strings, as the app reads them (src/db/index.ts), so the term choice below compares alike. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.DATE
      ? (v: string) => v
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * The figures the dashboard shows with no group chosen, as bare SQL: its frameworks and terms
 * queries, the term choice of schoolDashboard (this term, the one before, progress between them),
 * and its one statement, in one transaction with the same planner settings (or, with
 * `defaultPlanner`, without them: the settings are there for RLS's row estimates, which a
 * superuser does not have).
 */
async function bareFigures(client: pg.Client, schoolId: string, defaultPlanner = false): Promise<number> {
  await client.query('begin');
  try {
    if (!defaultPlanner) await client.query(plannerSettingsSql);
    const frameworks = (await client.query<{ id: string; kind: string }>(frameworksSql, [false, schoolId, false])).rows;
    const terms = (await client.query<Term>(termsSql, [schoolId])).rows;
    const today = new Date().toISOString().slice(0, 10);
    const term =
      terms.find((t) => t.starts_on <= today && today <= t.ends_on) ??
      [...terms].reverse().find((t) => t.starts_on <= today) ??
      terms.at(-1)!;
    const previous = [...terms].reverse().find((t) => t.sequence < term.sequence) ?? null;
    const wellbeing = frameworks.find((f) => f.kind === 'wellbeing');
    const attainment = frameworks.find((f) => f.kind === 'attainment');
    const { rows } = await client.query<{ figures: { cohortSize: number } }>(dashboardSql, [
      schoolId,
      wellbeing?.id ?? none,
      attainment?.id ?? none,
      term.id,
      previous?.id ?? none,
      previous?.id ?? none,
      term.id,
      '',
    ]);
    return rows[0]!.figures.cohortSize;
  } finally {
    await client.query('commit');
  }
}

await withBenchDatabase(async (database) => {
  const school = await seedSchool(database, 1500);
  const app = await startBenchServer(database);
  const bare = new pg.Client({ connectionString: testCluster().superuserUrl(database.name), types });
  await bare.connect();
  try {
    const { origin } = app;
    const cookie = await signInCookie(origin, school.headEmail);
    const times = { app: [] as number[], bare: [] as number[], bareDefault: [] as number[] };
    let cohort = 0;
    // Alternating app, bare, bare with the default planner; the first five rounds warm up.
    for (let i = 0; i < requests + 5; i++) {
      let t0 = performance.now();
      const res = await fetch(`${origin}/dashboard`, { headers: { cookie } });
      const body = await res.text();
      if (res.status !== 200 || !body.includes('Vulnerable groups')) throw new Error(`dashboard failed: ${res.status}`);
      const appMs = performance.now() - t0;
      t0 = performance.now();
      cohort = await bareFigures(bare, school.schoolId);
      const bareMs = performance.now() - t0;
      t0 = performance.now();
      await bareFigures(bare, school.schoolId, true);
      const bareDefaultMs = performance.now() - t0;
      if (i < 5) continue;
      times.app.push(appMs);
      times.bare.push(bareMs);
      times.bareDefault.push(bareDefaultMs);
    }
    if (cohort !== school.pupils) throw new Error(`bare SQL counted ${cohort} pupils, not ${school.pupils}`);
    const med = (xs: number[]) => round1(percentile(xs, 50));
    console.log(
      `dashboard pupils=${school.pupils} assessment_rows=${school.scores} requests=${times.app.length} median_ms=${med(times.app)} p95_ms=${round1(percentile(times.app, 95))} max_ms=${round1(Math.max(...times.app))} budget_ms=150`,
    );
    console.log(
      `dashboard-vs-bare-sql app_median_ms=${med(times.app)} bare_sql_median_ms=${med(times.bare)} ratio=${(percentile(times.app, 50) / percentile(times.bare, 50)).toFixed(2)} budget_ratio=1.3`,
    );
    console.log(
      `dashboard-bare-sql-planner with_app_settings_median_ms=${med(times.bare)} default_planner_median_ms=${med(times.bareDefault)}`,
    );
  } finally {
    await bare.end();
    await app.stop();
  }
});
