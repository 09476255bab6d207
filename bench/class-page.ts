/**
 * Class page under load (performance.md): a teacher's class page (30 pupils with their latest
 * wellbeing scores) at 50 concurrent connections, against the bare baseline (node:http + pg, the
 * same SQL, no session/policy/RLS/audit), and against the same app on a copy of the data with
 * row-level security switched off. Runs alternate A, B, A, B on 127.0.0.1 and stop by themselves.
 *
 *   npm run bench:class-page             # 10-second runs
 *   npm run bench:class-page -- 5        # 5-second runs
 */
import fs from 'node:fs';
import autocannon from 'autocannon';
import { freshDatabase, testCluster } from '../test/helpers/cluster.js';
import { startServerProcess, type RunningServer } from '../test/helpers/server-process.js';
import { seedSchool, signInCookie, startBenchServer, withBenchDatabase } from './lib.js';

const seconds = Number(process.argv[2] ?? 10);
const connections = 50;

interface Run {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  serverCpuMs: number;
  postgresCpuMs: number;
}

/**
 * CPU time (user + system, in ms) a process has used so far; with `children`, also that of its
 * children that have ended (a PostgreSQL backend's time moves to the postmaster when it exits).
 */
function cpuMs(pid: number, children = false): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ').map(Number);
  return (f[11]! + f[12]! + (children ? f[13]! + f[14]! : 0)) * (1000 / 100);
}

/** CPU used so far by every PostgreSQL process (the cluster under test is the only busy one). */
function postgresCpuMs(): number {
  let total = 0;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') total += cpuMs(Number(pid), true);
    } catch {
      // the process ended while we looked
    }
  }
  return total;
}

/** One bounded load run, with the server's and PostgreSQL's CPU time per request: where the time goes. */
async function load(
  server: RunningServer,
  url: string,
  headers: Record<string, string>,
  duration: number,
): Promise<Run> {
  const [server0, pg0] = [cpuMs(server.child.pid!), postgresCpuMs()];
  const result = await autocannon({ url, connections, duration, headers });
  const requests = Math.max(1, result.requests.total);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
    serverCpuMs: (cpuMs(server.child.pid!) - server0) / requests,
    postgresCpuMs: (postgresCpuMs() - pg0) / requests,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

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

  const app = await startBenchServer(database);
  const appNoRls = await startBenchServer(noRls);
  const baseline = await startServerProcess(
    { BASELINE_DATABASE_URL: testCluster().superuserUrl(database.name) },
    'bench/baseline-server.ts',
  );
  try {
    const cookie = await signInCookie(app.origin, school.teacherEmail);
    const cookieNoRls = await signInCookie(appNoRls.origin, school.teacherEmail);
    const appUrl = `${app.origin}/groups/${school.groupId}`;
    const check = await fetch(appUrl, { headers: { cookie } });
    const html = await check.text();
    if (check.status !== 200 || (html.match(/class="score/g) ?? []).length < 200)
      throw new Error(`class page not as expected: ${check.status}`);
    const targets = {
      app: { server: app.server, url: appUrl, headers: { cookie } },
      baseline: { server: baseline, url: `http://127.0.0.1:${baseline.port}/class/${school.groupId}`, headers: {} },
      appNoRls: {
        server: appNoRls.server,
        url: `${appNoRls.origin}/groups/${noRlsGroup}`,
        headers: { cookie: cookieNoRls },
      },
    };
    for (const t of Object.values(targets)) await load(t.server, t.url, t.headers, 2);
    const runs: Record<keyof typeof targets, Run[]> = { app: [], baseline: [], appNoRls: [] };
    for (let round = 0; round < 2; round++) {
      for (const name of ['app', 'baseline', 'app', 'appNoRls'] as const) {
        const r = await load(targets[name].server, targets[name].url, targets[name].headers, seconds);
        runs[name].push(r);
        console.log(
          `  run ${name.padEnd(8)} rps=${Math.round(r.rps)} p50_ms=${r.p50} p99_ms=${r.p99} errors=${r.errors} non2xx=${r.non2xx}` +
            ` cpu_ms_per_request server=${r.serverCpuMs.toFixed(1)} postgres=${r.postgresCpuMs.toFixed(1)}`,
        );
      }
    }
    const rps = (name: keyof typeof targets) => median(runs[name].map((r) => r.rps));
    const p99 = median(runs.app.map((r) => r.p99));
    console.log(
      `class-page p99_ms=${p99} rps=${Math.round(rps('app'))} baseline_rps=${Math.round(rps('baseline'))} ratio=${(rps('app') / rps('baseline')).toFixed(2)} budget_p99_ms=50 budget_ratio=0.5`,
    );
    console.log(
      `rls-cost rps_with_rls=${Math.round(rps('app'))} rps_without_rls=${Math.round(rps('appNoRls'))} cost=${(rps('appNoRls') / rps('app')).toFixed(2)}x budget=1.15x`,
    );
    const cpu = (name: keyof typeof targets) =>
      `${name}_server=${median(runs[name].map((r) => r.serverCpuMs)).toFixed(1)} ${name}_postgres=${median(runs[name].map((r) => r.postgresCpuMs)).toFixed(1)}`;
    console.log(`cpu_ms_per_request ${cpu('app')} ${cpu('baseline')} ${cpu('appNoRls')}`);
    console.log(`memory app_peak_rss_mb=${app.memoryMb().peak} budget_mb=256`);
  } finally {
    await Promise.all([app.stop(), appNoRls.stop(), baseline.stop()]);
    await noRls.drop();
  }
});
