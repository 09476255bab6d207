/**
 * Pupil profile (performance.md: throughput ≥ 0.5 × its bare baseline; p99 < 50 ms at a fixed
 * offered rate of half the baseline's maximum): a teacher opening the profile (`/pupils/:id`:
 * record, contacts, groups, FSM, flags, change history, assessment history charts, interventions)
 * of a pupil in their class, at 50 connections.
 *
 * The bare baseline runs the same SQL: the bench captures the statements one profile request
 * sends (through a counting proxy, on a separate server instance), keeps the reads (not the
 * session, user lookup, BEGIN with the actor's settings, audit insert or COMMIT), and
 * baseline-server.ts replays them with the same values over node:http + pg as a superuser (no
 * RLS), writing every row into HTML tables by string concatenation (no charts). The observations
 * and notes list is a page of its own (`/pupils/:id/notes`) and is not in this figure.
 *
 * On 127.0.0.1; stops by itself. Prints figures and never fails on a time.
 *
 *   npm run bench:pupil-profile           # 5-second runs
 *   npm run bench:pupil-profile -- 10
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  describeRun,
  describeStatement,
  getOk,
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
import type { CapturedStatement } from './pg-proxy.js';

const seconds = Number(process.argv[2] ?? 5);

/** A read the baseline should run too: an extended-protocol select, not the session store's. */
const isPageRead = (s: CapturedStatement) =>
  !s.simple && /^\s*(select|with)\b/i.test(s.sql) && !/\bfrom\s+"?session"?\b/i.test(s.sql);

await withBenchDatabase(async (database) => {
  const school = await seedSchool(database, 1500);
  const { su } = database;
  const pupilId: string = (await su('group_members').where({ group_id: school.groupId }).first()).pupil_id;
  const teacherId: string = (await su('users').where({ email: school.teacherEmail }).first()).id;
  // Something in the profile's other sections: two contacts and an intervention for the class.
  await su('pupil_contacts').insert([
    { school_id: school.schoolId, pupil_id: pupilId, name: 'Alex Parent', relationship: 'Mother', priority: 1 },
    { school_id: school.schoolId, pupil_id: pupilId, name: 'Sam Parent', relationship: 'Father', priority: 2 },
  ]);
  await su('interventions').insert({
    school_id: school.schoolId,
    name: 'Morning check-in',
    type: 'Wellbeing',
    lead_user_id: teacherId,
    group_id: school.groupId,
    start_date: new Date().toISOString().slice(0, 10),
    status: 'running',
  });

  const replayDir = fs.mkdtempSync(path.join(os.tmpdir(), 'waypoint-bench-replay-'));
  const replayFile = path.join(replayDir, 'pupil-profile.json');
  const cookie = await withCountingServer(database, async (app, proxy) => {
    const cookie = await signInCookie(app.origin, school.teacherEmail);
    const html = await getOk(`${app.origin}/pupils/${pupilId}`, { cookie });
    if (!html.includes('Morning check-in') || !html.includes('Alex Parent'))
      throw new Error('pupil profile not as expected');
    const one = await roundTripsOf(proxy, () => getOk(`${app.origin}/pupils/${pupilId}`, { cookie }));
    for (const s of one.statements) console.log(`  sql app ${describeStatement(s)}`);
    const reads = one.statements.filter(isPageRead).map(({ sql, values }) => ({ sql, values }));
    fs.writeFileSync(replayFile, JSON.stringify(reads));
    console.log(
      `round-trips pupil-profile app=${one.roundTrips} statements=${one.statements.length} baseline=${reads.length}`,
    );
    return cookie;
  });

  const app = await startBenchServer(database);
  const baseline = await startBaselineServer(database, { env: { BASELINE_REPLAY_FILE: replayFile } });
  try {
    const baselineUrl = `http://127.0.0.1:${baseline.port}/replay`;
    await getOk(baselineUrl);
    const targets: Record<'app' | 'baseline', LoadTarget> = {
      app: { server: app.server, url: `${app.origin}/pupils/${pupilId}`, headers: { cookie } },
      baseline: { server: baseline, url: baselineUrl, headers: {} },
    };
    for (const t of Object.values(targets)) await load(t, { duration: 2 });
    const run = async (name: 'app' | 'baseline', rate?: number) => {
      const r = await load(targets[name], { duration: seconds, ...(rate ? { rate } : {}) });
      console.log(`  run ${name.padEnd(8)}${rate ? ` offered_rps=${rate}` : ''} ${describeRun(r)}`);
      return r;
    };
    const closed: Record<'app' | 'baseline', LoadRun[]> = { app: [], baseline: [] };
    for (let round = 0; round < 3; round++)
      for (const name of ['app', 'baseline'] as const) closed[name].push(await run(name));
    const rps = (name: 'app' | 'baseline') => median(closed[name].map((r) => r.rps));
    console.log(
      `pupil-profile rps=${Math.round(rps('app'))} baseline_rps=${Math.round(rps('baseline'))} ratio=${(rps('app') / rps('baseline')).toFixed(2)} budget_ratio=0.5` +
        ` closed_loop_p99_ms=${median(closed.app.map((r) => r.p99))}` +
        ` cpu_ms_per_request app_server=${median(closed.app.map((r) => r.serverCpuMs)).toFixed(1)} app_postgres=${median(closed.app.map((r) => r.postgresCpuMs)).toFixed(1)}` +
        ` baseline_server=${median(closed.baseline.map((r) => r.serverCpuMs)).toFixed(1)} baseline_postgres=${median(closed.baseline.map((r) => r.postgresCpuMs)).toFixed(1)}`,
    );

    const rate = Math.max(1, Math.round(rps('baseline') / 2));
    const fixed: Record<'app' | 'baseline', LoadRun[]> = { app: [], baseline: [] };
    for (let round = 0; round < 2; round++)
      for (const name of ['app', 'baseline'] as const) fixed[name].push(await run(name, rate));
    const at = (name: 'app' | 'baseline', p: 'p50' | 'p99' | 'rps') => median(fixed[name].map((r) => r[p]));
    const kept = (name: 'app' | 'baseline') => (at(name, 'rps') >= 0.95 * rate ? 'yes' : 'no');
    console.log(
      `pupil-profile-latency offered_rps=${rate} app_p50_ms=${at('app', 'p50')} app_p99_ms=${at('app', 'p99')} baseline_p50_ms=${at('baseline', 'p50')} baseline_p99_ms=${at('baseline', 'p99')}` +
        ` app_answered_rps=${Math.round(at('app', 'rps'))} app_kept_up=${kept('app')} baseline_kept_up=${kept('baseline')} budget_app_p99_ms=50`,
    );
    console.log(`memory app_peak_rss_mb=${app.memoryMb().peak} budget_mb=256`);
  } finally {
    await Promise.all([app.stop(), baseline.stop()]);
    fs.rmSync(replayDir, { recursive: true, force: true });
  }
});
