/**
 * Class page (performance.md): a teacher's class page (30 pupils with their latest wellbeing
 * scores) against the bare baseline (node:http + pg, the same SQL, no session/policy/RLS/audit) and
 * against the same app on a copy of the data with row-level security switched off.
 *
 * - Throughput at 50 connections, closed loop, in three rounds (app and no-RLS back to back, in
 *   alternating order, then the baseline): the app/baseline ratio and each round's RLS cost.
 * - Latency at a fixed offered rate of half the baseline's measured maximum (autocannon -R),
 *   app and baseline alternating: p50 and p99. At 50 connections closed loop on two cores, p99 is
 *   queueing, not latency.
 * - Round trips to PostgreSQL for one request, app and baseline, counted by a proxy, with the
 *   app's statements listed.
 *
 * On 127.0.0.1; stops by itself. Prints figures and never fails on a time.
 *
 *   npm run bench:class-page             # 5-second runs
 *   npm run bench:class-page -- 10       # 10-second runs
 */
import { freshDatabase, testCluster, type TestDatabase } from '../test/helpers/cluster.js';
import {
  type BenchSchool,
  getOk,
  describeRun,
  describeStatement,
  load,
  type LoadRun,
  type LoadTarget,
  median,
  roundTripsOf,
  seedSchool,
  signInCookie,
  startBaselineServer,
  startBenchServer,
  withBenchDatabase,
  withCountingServer,
} from './lib.js';
import { startPgProxy } from './pg-proxy.js';

const seconds = Number(process.argv[2] ?? 5);

await withBenchDatabase(async (database) => {
  const school = await seedSchool(database, 1500);
  // The same school again, with row-level security switched off, to measure what RLS costs.
  const noRls = await freshDatabase();
  await seedSchool(noRls, 1500);
  const tables: string[] = await noRls.su('pg_tables').where({ schemaname: 'public' }).pluck('tablename');
  for (const t of tables)
    await noRls.su.raw('alter table ?? no force row level security, disable row level security', [t]);
  await noRls.db.close();
  const noRlsGroup = (
    await noRls
      .su('groups')
      .where({ name: '1 Class 1' })
      .whereIn('school_id', noRls.su('organisations').where('name', 'like', 'Bench%').select('id'))
      .first()
  ).id;

  const cookie = await roundTrips(database, school);

  const app = await startBenchServer(database);
  const appNoRls = await startBenchServer(noRls);
  const baseline = await startBaselineServer(database);
  try {
    const cookieNoRls = await signInCookie(appNoRls.origin, school.teacherEmail);
    const appUrl = `${app.origin}/groups/${school.groupId}`;
    const check = await fetch(appUrl, { headers: { cookie } });
    const html = await check.text();
    if (check.status !== 200 || (html.match(/class="score/g) ?? []).length < 200)
      throw new Error(`class page not as expected: ${check.status}`);
    const targets: Record<'app' | 'baseline' | 'appNoRls', LoadTarget> = {
      app: { server: app.server, url: appUrl, headers: { cookie } },
      baseline: { server: baseline, url: `http://127.0.0.1:${baseline.port}/class/${school.groupId}`, headers: {} },
      appNoRls: {
        server: appNoRls.server,
        url: `${appNoRls.origin}/groups/${noRlsGroup}`,
        headers: { cookie: cookieNoRls },
      },
    };
    for (const t of Object.values(targets)) await load(t, { duration: 2 });

    const runs: Record<keyof typeof targets, LoadRun[]> = { app: [], baseline: [], appNoRls: [] };
    const run = async (name: keyof typeof targets, rate?: number) => {
      const r = await load(targets[name], { duration: seconds, ...(rate ? { rate } : {}) });
      console.log(`  run ${name.padEnd(8)}${rate ? ` offered_rps=${rate}` : ''} ${describeRun(r)}`);
      return r;
    };
    for (let round = 0; round < 3; round++) {
      const order = round % 2 ? (['appNoRls', 'app'] as const) : (['app', 'appNoRls'] as const);
      for (const name of order) runs[name].push(await run(name));
      runs.baseline.push(await run('baseline'));
      const [withRls, withoutRls] = [runs.app.at(-1)!.rps, runs.appNoRls.at(-1)!.rps];
      console.log(
        `rls-cost run=${round + 1} rps_with_rls=${Math.round(withRls)} rps_without_rls=${Math.round(withoutRls)} cost=${(withoutRls / withRls).toFixed(2)}x budget=1.10x`,
      );
    }
    const rps = (name: keyof typeof targets) => median(runs[name].map((r) => r.rps));
    console.log(
      `class-page rps=${Math.round(rps('app'))} baseline_rps=${Math.round(rps('baseline'))} ratio=${(rps('app') / rps('baseline')).toFixed(2)} budget_ratio=0.75` +
        ` closed_loop_p99_ms=${median(runs.app.map((r) => r.p99))} baseline_closed_loop_p99_ms=${median(runs.baseline.map((r) => r.p99))}`,
    );
    const cpu = (name: keyof typeof targets) =>
      `${name}_server=${median(runs[name].map((r) => r.serverCpuMs)).toFixed(1)} ${name}_postgres=${median(runs[name].map((r) => r.postgresCpuMs)).toFixed(1)}`;
    console.log(`cpu_ms_per_request ${cpu('app')} ${cpu('baseline')} ${cpu('appNoRls')}`);

    // Half the baseline's measured maximum, offered at a fixed rate to each in turn.
    const rate = Math.max(1, Math.round(rps('baseline') / 2));
    const fixed: Record<'app' | 'baseline', LoadRun[]> = { app: [], baseline: [] };
    for (let round = 0; round < 2; round++)
      for (const name of ['app', 'baseline'] as const) fixed[name].push(await run(name, rate));
    const at = (name: 'app' | 'baseline', p: 'p50' | 'p99' | 'rps') => median(fixed[name].map((r) => r[p]));
    // Answered below the offered rate means the server could not keep up: then p99 is queueing again.
    const kept = (name: 'app' | 'baseline') => (at(name, 'rps') >= 0.95 * rate ? 'yes' : 'no');
    console.log(
      `class-page-latency offered_rps=${rate} app_p50_ms=${at('app', 'p50')} app_p99_ms=${at('app', 'p99')} baseline_p50_ms=${at('baseline', 'p50')} baseline_p99_ms=${at('baseline', 'p99')}` +
        ` app_answered_rps=${Math.round(at('app', 'rps'))} app_kept_up=${kept('app')} baseline_kept_up=${kept('baseline')} budget_app_p99_ms=50`,
    );
    console.log(`memory app_peak_rss_mb=${app.memoryMb().peak} budget_mb=256`);
  } finally {
    await Promise.all([app.stop(), appNoRls.stop(), baseline.stop()]);
    await noRls.drop();
  }
});

/**
 * Round trips for one class page, app and baseline, each through a counting proxy (on a separate
 * server instance, so load runs never go through the proxy). Returns a session cookie for the
 * teacher, which works on the load-run server too.
 */
async function roundTrips(database: TestDatabase, school: BenchSchool): Promise<string> {
  const baselineUrl = testCluster().superuserUrl(database.name);
  const baselineProxy = await startPgProxy(baselineUrl);
  const baseline = await startBaselineServer(database, { url: baselineProxy.via(baselineUrl) });
  try {
    return await withCountingServer(database, async (app, appProxy) => {
      const cookie = await signInCookie(app.origin, school.teacherEmail);
      const ofApp = await roundTripsOf(appProxy, () => getOk(`${app.origin}/groups/${school.groupId}`, { cookie }));
      const ofBaseline = await roundTripsOf(baselineProxy, () =>
        getOk(`http://127.0.0.1:${baseline.port}/class/${school.groupId}`),
      );
      for (const s of ofApp.statements) console.log(`  sql app ${describeStatement(s)}`);
      console.log(`round-trips class-page app=${ofApp.roundTrips} baseline=${ofBaseline.roundTrips}`);
      return cookie;
    });
  } finally {
    await baseline.stop();
    await baselineProxy.close();
  }
}
