/**
 * Sign-in burst (performance.md: argon2id hashing never blocks the event loop; during a burst of
 * 100 concurrent sign-ins, class-page p99 stays < 200 ms). A steady, open-loop class-page load (a
 * quarter of the app's measured closed-loop maximum, each request sent on time whatever the last
 * one did) runs alone first, for a reference, and then while 100 different staff sign in at once:
 * each GETs /sign-in for the anonymous session and CSRF token, POSTs the credentials and follows
 * the redirect home. Prints the class page's p50/p99 before and during the burst, the sign-ins'
 * times and failures, and what the server logged (the DB pool's acquire timeouts separately).
 * The pool is the app's default size (DB_POOL_MAX=10).
 *
 * On 127.0.0.1; stops by itself. Prints figures and never fails on a time.
 *
 *   npm run bench:sign-in-burst              # 100 sign-ins, 5-second reference
 *   npm run bench:sign-in-burst -- 150 10    # 150 sign-ins, 10-second reference
 */
import fs from 'node:fs';
import os from 'node:os';
import {
  describeRun,
  describeStatement,
  type Knex,
  load,
  percentile,
  postgresCpuMs,
  round1,
  roundTripsOf,
  seedSchool,
  signInCookie,
  startBenchServer,
  withBenchDatabase,
  withCountingServer,
} from './lib.js';

const burst = Number(process.argv[2] ?? 100);
const seconds = Number(process.argv[3] ?? 5);
const requestTimeoutMs = 30_000;

interface Sample {
  startedAt: number;
  ms: number;
  /** HTTP status, or 0 for a network error or timeout. */
  status: number;
  error?: string;
  /** Class page: asked for a compressed answer. Sign-in: the three steps' times. */
  compressed?: boolean;
  steps?: number[];
}

/**
 * Sends GET `url` every 1/rate seconds, on time, until stopped; each answer is a sample. Every
 * other request asks for an uncompressed answer: compression runs on libuv's thread pool, where
 * argon2 hashes also run, so the two halves show whether a slow page waits for the event loop or
 * for that pool.
 */
function steadyLoad(url: string, headers: Record<string, string>, rate: number) {
  const samples: Sample[] = [];
  const inFlight = new Set<Promise<void>>();
  const one = async (compressed: boolean) => {
    const startedAt = performance.now();
    try {
      const res = await fetch(url, {
        headers: { ...headers, 'accept-encoding': compressed ? 'gzip, br' : 'identity' },
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      await res.arrayBuffer();
      samples.push({ startedAt, ms: performance.now() - startedAt, status: res.status, compressed });
    } catch (err) {
      samples.push({ startedAt, ms: performance.now() - startedAt, status: 0, error: (err as Error).name, compressed });
    }
  };
  const t0 = performance.now();
  let sent = 0;
  // Sends whatever is due each tick, so a late timer does not lower the offered rate.
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate) - sent;
    for (let i = 0; i < due; i++, sent++) {
      const p = one(sent % 2 === 0).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
  }, 2);
  return {
    samples,
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
    },
  };
}

/** One staff member's sign-in as a browser does it; the time from the first GET to home's last byte. */
async function signInOnce(origin: string, email: string): Promise<Sample> {
  const startedAt = performance.now();
  const signal = AbortSignal.timeout(requestTimeoutMs);
  const steps: number[] = [];
  const step = () => steps.push(performance.now() - startedAt - steps.reduce((a, b) => a + b, 0));
  const fail = (status: number, error: string) => ({
    startedAt,
    ms: performance.now() - startedAt,
    status,
    error,
    steps,
  });
  try {
    const page = await fetch(`${origin}/sign-in`, { signal });
    const anonymous = (page.headers.get('set-cookie') ?? '').split(';')[0]!;
    const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
    step();
    if (page.status !== 200 || !token) return fail(page.status, 'sign-in page');
    const post = await fetch(`${origin}/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      signal,
      headers: { cookie: anonymous, origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: token, email, password: 'waypoint-demo-password' }),
    });
    await post.arrayBuffer();
    step();
    const session = (post.headers.get('set-cookie') ?? '').split(';')[0]!;
    if (post.status !== 303 || !session) return fail(post.status, 'post');
    const home = await fetch(new URL(post.headers.get('location') ?? '/', origin), {
      headers: { cookie: session },
      signal,
    });
    const html = await home.text();
    step();
    if (home.status !== 200 || !html.includes('Sign out')) return fail(home.status, 'home');
    return { startedAt, ms: performance.now() - startedAt, status: 200, steps };
  } catch (err) {
    return fail(0, (err as Error).name);
  }
}

/**
 * Per thread of a process, from /proc/<pid>/task/<tid>/schedstat: time on a CPU and time runnable
 * but waiting for one (ms), for the main thread (the event loop) and all its other threads
 * (libuv's pool, where argon2 hashes run). A long wait means the thread wanted a core and did not
 * get one: the machine, or the process's own threads, had more work than cores.
 */
function threadTimes(pid: number) {
  const t = { mainRun: 0, mainWait: 0, othersRun: 0, othersWait: 0 };
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const [run, wait] = fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      if (Number(tid) === pid) {
        t.mainRun += run! / 1e6;
        t.mainWait += wait! / 1e6;
      } else {
        t.othersRun += run! / 1e6;
        t.othersWait += wait! / 1e6;
      }
    } catch {
      // the thread ended while we looked
    }
  }
  return t;
}

/**
 * Samples pg_stat_activity every 100 ms while running: how many of the app's pooled connections
 * (knex's, "waypoint", and the session pool's, "waypoint-sessions") are open and busy (active, idle
 * in a transaction, waiting on a lock), averaged, and the busy connections' commonest statements.
 * Busy all the time means requests queue for the pool; mostly idle while pages are slow means the
 * time goes elsewhere.
 */
function sampleConnections(su: Knex) {
  const counts = new Map<string, number>();
  const busyQueries = new Map<string, number>();
  let samples = 0;
  let stopped = false;
  const add = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  const done = (async () => {
    while (!stopped) {
      const rows: { application_name: string; state: string | null; wait_event_type: string | null; query: string }[] =
        await su('pg_stat_activity')
          .whereIn('application_name', ['waypoint', 'waypoint-sessions'])
          .select('application_name', 'state', 'wait_event_type', 'query');
      samples++;
      for (const r of rows) {
        const pool = r.application_name === 'waypoint' ? 'app' : 'session';
        add(counts, `${pool}_open`);
        if (r.state === 'idle' || r.state === null) continue;
        add(counts, `${pool}_busy`);
        add(counts, `${pool}_${r.state.replace(/ /g, '_')}`);
        if (r.wait_event_type === 'Lock') add(counts, `${pool}_waiting_on_lock`);
        add(busyQueries, `${r.state}: ${r.query.replace(/\s+/g, ' ').slice(0, 90)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await done;
      const avg = [...counts].map(([k, n]) => `${k}_avg=${(n / Math.max(1, samples)).toFixed(1)}`).join(' ');
      const top = [...busyQueries]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([q, n]) => `  busy ${(n / Math.max(1, samples)).toFixed(1)} avg: ${q}`);
      return { line: `samples=${samples} ${avg}`, top };
    },
  };
}

const latency = (xs: Sample[]) => {
  const ok = xs.filter((s) => s.status === 200).map((s) => s.ms);
  return ok.length
    ? `p50_ms=${round1(percentile(ok, 50))} p99_ms=${round1(percentile(ok, 99))} max_ms=${round1(Math.max(...ok))}`
    : 'p50_ms=- p99_ms=-';
};
const failures = (xs: Sample[]) => {
  const counts = new Map<string, number>();
  for (const s of xs.filter((x) => x.status !== 200)) {
    const key = s.status ? String(s.status) : (s.error ?? 'error');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts.size ? [...counts].map(([k, n]) => `${k}:${n}`).join(',') : 'none';
};

await withBenchDatabase(async (database) => {
  const school = await seedSchool(database, 1500);
  const { su } = database;
  // A staff room's worth of different accounts: attempts on one account queue on its throttle lock.
  const hash = (await su('users').where({ email: school.teacherEmail }).first()).password_hash;
  const staff = await su('users')
    .insert(
      Array.from({ length: burst }, (_, i) => ({
        kind: 'staff',
        email: `burst${i}@bench.test`,
        given_name: 'Burst',
        family_name: `Teacher ${i}`,
        password_hash: hash,
      })),
    )
    .returning(['id', 'email']);
  await su('memberships').insert(staff.map((u) => ({ user_id: u.id, org_id: school.schoolId, role: 'teacher' })));

  // What one sign-in (the three requests) asks of the database, through a counting proxy.
  await withCountingServer(database, async (counting, proxy) => {
    const one = await roundTripsOf(proxy, async () => {
      const s = await signInOnce(counting.origin, school.teacherEmail);
      if (s.status !== 200) throw new Error(`sign-in failed: ${s.status} ${s.error}`);
    });
    for (const st of one.statements) console.log(`  sql sign-in ${describeStatement(st)}`);
    console.log(`round-trips sign-in get_post_home=${one.roundTrips} statements=${one.statements.length}`);
  });

  const app = await startBenchServer(database);
  try {
    const { origin } = app;
    const cookie = await signInCookie(origin, school.teacherEmail);
    const url = `${origin}/groups/${school.groupId}`;
    await load({ server: app.server, url, headers: { cookie } }, { duration: 2 });
    const max = await load({ server: app.server, url, headers: { cookie } }, { duration: seconds });
    console.log(`  run class-page closed loop, 50 connections: ${describeRun(max)}`);
    const rate = Math.max(5, Math.round(max.rps / 4));

    const steady = steadyLoad(url, { cookie }, rate);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const logBefore = app.logLines().length;
    const pid = app.server.child.pid!;
    const [threads0, pg0] = [threadTimes(pid), postgresCpuMs()];
    const connections = sampleConnections(su);
    const burstStart = performance.now();
    const signIns = await Promise.all(staff.map((u) => signInOnce(origin, u.email)));
    const burstEnd = performance.now();
    const [threads1, pg1] = [threadTimes(pid), postgresCpuMs()];
    const pools = await connections.stop();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await steady.stop();

    const before = steady.samples.filter((s) => s.startedAt < burstStart);
    const during = steady.samples.filter((s) => s.startedAt >= burstStart && s.startedAt <= burstEnd);
    const log = app.logLines().slice(logBefore);
    // The server's own time for each class page during the burst (pino-http's responseTime, from
    // when the app took the request to the last byte): the client's time less this is time spent
    // before the app saw the request (a busy event loop, or CPU going elsewhere).
    const serverMs = log.flatMap((l) => {
      const m = /"url":"\/groups\/[^"]*".*"responseTime":(\d+)/.exec(l);
      return m ? [Number(m[1])] : [];
    });
    const acquireTimeouts = log.filter((l) => /Timeout acquiring a connection/i.test(l)).length;
    const errors = log.filter((l) => /"level":(50|60)/.test(l)).length;

    console.log(
      `class-page-before-burst offered_rps=${rate} requests=${before.length} ${latency(before)} failures=${failures(before)}`,
    );
    console.log(
      `class-page-during-burst offered_rps=${rate} requests=${during.length} ${latency(during)} failures=${failures(during)} budget_p99_ms=200`,
    );
    console.log(
      `sign-in-burst sign_ins=${burst} ok=${signIns.filter((s) => s.status === 200).length} burst_ms=${Math.round(burstEnd - burstStart)} ${latency(signIns)} failures=${failures(signIns)}`,
    );
    const byEncoding = (compressed: boolean) => latency(during.filter((s) => s.compressed === compressed));
    console.log(
      `class-page-during-burst-by-encoding compressed_${byEncoding(true).replaceAll(' ', ' compressed_')} uncompressed_${byEncoding(false).replaceAll(' ', ' uncompressed_')}`,
    );
    if (serverMs.length)
      console.log(
        `class-page-during-burst-server-side requests=${serverMs.length} p50_ms=${percentile(serverMs, 50)} p99_ms=${percentile(serverMs, 99)} max_ms=${Math.max(...serverMs)}`,
      );
    const stepP50 = (i: number) =>
      round1(
        percentile(
          signIns.filter((s) => s.steps && s.steps.length > i).map((s) => s.steps![i]!),
          50,
        ),
      );
    console.log(
      `sign-in-steps_p50_ms get_sign_in=${stepP50(0)} post_credentials=${stepP50(1)} get_home=${stepP50(2)} first_done_ms=${round1(Math.min(...signIns.map((s) => s.ms)))}`,
    );
    const d = (k: keyof typeof threads0) => Math.round(threads1[k] - threads0[k]);
    console.log(
      `cpu-during-burst wall_ms=${Math.round(burstEnd - burstStart)} cores=${os.cpus().length} server_main_thread_run_ms=${d('mainRun')} server_main_thread_runnable_wait_ms=${d('mainWait')}` +
        ` server_other_threads_run_ms=${d('othersRun')} server_other_threads_runnable_wait_ms=${d('othersWait')} postgres_cpu_ms=${Math.round(pg1 - pg0)} load_average_1m=${os.loadavg()[0]!.toFixed(1)}`,
    );
    console.log(`db-connections-during-burst ${pools.line}`);
    for (const line of pools.top) console.log(line);
    console.log(`server-log acquire_timeouts=${acquireTimeouts} error_lines=${errors}`);
    for (const line of log.filter((l) => /"level":(50|60)/.test(l)).slice(0, 3))
      console.log(`  log ${line.slice(0, 300)}`);
    console.log(`memory app_peak_rss_mb=${app.memoryMb().peak} budget_mb=256`);
  } finally {
    await app.stop();
  }
});
