/**
 * School dashboard (performance.md: < 150 ms for a single request, 1,500 pupils, with the
 * vulnerable-group comparison; ≤ 1.3 × the same figures computed by bare SQL in the same run).
 * Sequential requests through the real app, each followed by the dashboard's own SQL through plain
 * pg as a superuser (no session, policy, RLS, audit or HTML; the SQL is copied in
 * dashboard-sql.ts), and the ratio of the medians. Also the same SQL on the runtime role under RLS
 * (to split the gap into RLS and the rest), and without the app's planner settings. Round trips of
 * one request first. Prints figures; never fails on a time.
 *
 *   npm run bench:dashboard            # 30 requests
 *   npm run bench:dashboard -- 100
 */
import pg from 'pg';
import { testCluster } from '../test/helpers/cluster.js';
import { dashboardSql, frameworksSql, plannerSettingsSql, termsSql } from './dashboard-sql.js';
import {
  describeStatement,
  getOk,
  percentile,
  round1,
  roundTripsOf,
  seedSchool,
  signInCookie,
  startBenchServer,
  withBenchDatabase,
  withCountingServer,
} from './lib.js';

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
 * superuser does not have). `begin` replaces BEGIN: on the runtime role with the app's own
 * "BEGIN; set_config(…actor…)", the same SQL runs under row-level security, without the app.
 */
async function bareFigures(
  client: pg.Client,
  schoolId: string,
  opts: { defaultPlanner?: boolean; begin?: string } = {},
): Promise<number> {
  await client.query(opts.begin ?? 'begin');
  try {
    if (!opts.defaultPlanner) await client.query(plannerSettingsSql);
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
  // What one dashboard request asks of the database, through a counting proxy; the bare SQL is 6
  // (begin, planner settings, frameworks, terms, the statement, commit).
  // The app's BEGIN with the head's actor settings is kept, to run the same SQL under RLS below.
  const beginAsHead = await withCountingServer(database, async (counting, proxy) => {
    const cookie = await signInCookie(counting.origin, school.headEmail);
    const one = await roundTripsOf(proxy, () => getOk(`${counting.origin}/dashboard`, { cookie }));
    for (const st of one.statements) console.log(`  sql app ${describeStatement(st)}`);
    console.log(`round-trips dashboard app=${one.roundTrips} bare_sql=6`);
    const begin = one.statements.find((st) => st.simple && /^BEGIN; select set_config/.test(st.sql));
    if (!begin) throw new Error('no BEGIN with the actor in the dashboard request');
    return begin.sql;
  });

  const app = await startBenchServer(database);
  const bare = new pg.Client({ connectionString: testCluster().superuserUrl(database.name), types });
  await bare.connect();
  const underRls = new pg.Client({ connectionString: database.runtimeUrl, types });
  await underRls.connect();
  try {
    const { origin } = app;
    const cookie = await signInCookie(origin, school.headEmail);
    const times = { app: [] as number[], bare: [] as number[], bareDefault: [] as number[], rls: [] as number[] };
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
      await bareFigures(bare, school.schoolId, { defaultPlanner: true });
      const bareDefaultMs = performance.now() - t0;
      t0 = performance.now();
      if ((await bareFigures(underRls, school.schoolId, { begin: beginAsHead })) !== school.pupils)
        throw new Error('the SQL under RLS counted another cohort');
      const rlsMs = performance.now() - t0;
      if (i < 5) continue;
      times.app.push(appMs);
      times.bare.push(bareMs);
      times.bareDefault.push(bareDefaultMs);
      times.rls.push(rlsMs);
    }
    if (cohort !== school.pupils) throw new Error(`bare SQL counted ${cohort} pupils, not ${school.pupils}`);
    const med = (xs: number[]) => round1(percentile(xs, 50));
    console.log(
      `dashboard pupils=${school.pupils} assessment_rows=${school.scores} requests=${times.app.length} median_ms=${med(times.app)} p95_ms=${round1(percentile(times.app, 95))} max_ms=${round1(Math.max(...times.app))} budget_ms=150`,
    );
    console.log(
      `dashboard-vs-bare-sql app_median_ms=${med(times.app)} bare_sql_median_ms=${med(times.bare)} ratio=${(percentile(times.app, 50) / percentile(times.bare, 50)).toFixed(2)} budget_ratio=1.3`,
    );
    // Where the app's extra time goes: the same SQL under RLS (runtime role, head's settings) against
    // the bare SQL is RLS's cost; the app against that is everything else (session, HTTP, HTML, audit).
    console.log(
      `dashboard-sql-under-rls median_ms=${med(times.rls)} vs_bare=${(percentile(times.rls, 50) / percentile(times.bare, 50)).toFixed(2)} app_vs_it=${(percentile(times.app, 50) / percentile(times.rls, 50)).toFixed(2)}`,
    );
    console.log(
      `dashboard-bare-sql-planner with_app_settings_median_ms=${med(times.bare)} default_planner_median_ms=${med(times.bareDefault)}`,
    );
  } finally {
    await bare.end();
    await underRls.end();
    await app.stop();
  }
});
