/**
 * Shared set-up for the benchmarks: a throwaway embedded PostgreSQL (as in the tests), a fresh copy
 * of the demo database, and a generated school of a given size with three years of assessments.
 * Benchmarks print figures; none of them pass or fail on a time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import type { Knex } from 'knex';
import { freshDatabase, startTestCluster, testCluster, type TestDatabase } from '../test/helpers/cluster.js';
import { forenames, pick, seededRandom, surnames } from '../src/demo/names.js';
import { insertSchoolDefaults, insertTerms } from '../src/modules/assessments/defaults.js';
import { makeUpn } from '../src/modules/pupils/upn.js';
import { systemActor } from '../src/policy/index.js';
import { type RunningServer, startServerProcess } from '../test/helpers/server-process.js';
import { type CapturedStatement, type PgProxy, startPgProxy } from './pg-proxy.js';

export async function withBenchDatabase<T>(work: (database: TestDatabase) => Promise<T>): Promise<T> {
  await startTestCluster();
  const database = await freshDatabase();
  try {
    return await work(database);
  } finally {
    await database.drop();
    const tc = testCluster();
    await tc.cluster.stop();
    fs.rmSync(tc.dir, { recursive: true, force: true });
  }
}

export interface BenchSchool {
  schoolId: string;
  teacherEmail: string;
  headEmail: string;
  groupId: string;
  pupils: number;
  scores: number;
}

/**
 * A primary school of `size` pupils in classes of 30 (years 1–6), three academic years × three terms
 * of wellbeing (8 domains) and attainment (reading, writing, maths, science), a teacher for one
 * class and a head. Deterministic.
 */
export async function seedSchool(database: TestDatabase, size = 1500, today = new Date()): Promise<BenchSchool> {
  const { su, db } = database;
  const random = seededRandom(size);
  const [school] = await su('organisations')
    .insert({
      kind: 'school',
      name: `Bench School ${size}`,
      phase: 'primary',
      la_code: '999',
      establishment_number: '9999',
    })
    .returning('id');
  const schoolId = school.id as string;
  await su('school_settings').insert({ school_id: schoolId });
  const year = today.getUTCMonth() >= 8 ? today.getUTCFullYear() : today.getUTCFullYear() - 1;
  await db.withActor(systemActor('test', {}, schoolId), async (trx) => {
    await insertSchoolDefaults(trx, schoolId, year, 'primary');
    await insertTerms(trx, schoolId, year - 1);
    await insertTerms(trx, schoolId, year - 2);
  });
  const hash = (await su('users').where({ email: 'head@oakfield.test' }).first()).password_hash;
  const [teacher] = await su('users')
    .insert({
      kind: 'staff',
      email: `teacher@bench${size}.test`,
      given_name: 'Bench',
      family_name: 'Teacher',
      password_hash: hash,
    })
    .returning('id');
  const [head] = await su('users')
    .insert({
      kind: 'staff',
      email: `head@bench${size}.test`,
      given_name: 'Bench',
      family_name: 'Head',
      password_hash: hash,
    })
    .returning('id');
  await su('memberships').insert([
    { user_id: teacher.id, org_id: schoolId, role: 'teacher' },
    { user_id: head.id, org_id: schoolId, role: 'head' },
  ]);

  const classes = Math.ceil(size / 30);
  const groupIds: string[] = [];
  const pupilRows: (Record<string, unknown> & { upn: string | null; _group: string })[] = [];
  for (let c = 0; c < classes; c++) {
    const yearGroup = String(1 + (c % 6));
    const [g] = await su('groups')
      .insert({ school_id: schoolId, kind: 'class', name: `${yearGroup} Class ${c + 1}`, year_group: yearGroup })
      .returning('id');
    groupIds.push(g.id);
    for (let i = 0; i < 30 && pupilRows.length < size; i++) {
      const sex = random() < 0.5 ? 'F' : 'M';
      pupilRows.push({
        school_id: schoolId,
        legal_forename: pick(random, forenames[sex]),
        surname: pick(random, surnames),
        sex,
        year_group: yearGroup,
        date_of_birth: `${2019 - Number(yearGroup)}-0${1 + (i % 9)}-1${i % 9}`,
        upn: makeUpn('999', '9999', 20 + (c % 6), pupilRows.length % 1000),
        mis_id: `BENCH${pupilRows.length}`,
        sen_status: random() < 0.12 ? 'K' : random() < 0.03 ? 'E' : 'N',
        eal: random() < 0.2,
        looked_after: random() < 0.01,
        _group: g.id,
      });
    }
  }
  const upnSeen = new Set<string>();
  for (const p of pupilRows)
    if (p.upn && upnSeen.has(p.upn)) p.upn = null;
    else if (p.upn) upnSeen.add(p.upn);
  const inserted: { id: string }[] = [];
  for (let i = 0; i < pupilRows.length; i += 1000) {
    inserted.push(
      ...(await su('pupils')
        .insert(pupilRows.slice(i, i + 1000).map(({ _group, ...p }) => p))
        .returning('id')),
    );
  }
  const members = inserted.map((p, i) => ({ school_id: schoolId, group_id: pupilRows[i]!._group, pupil_id: p.id }));
  for (let i = 0; i < members.length; i += 2000) await su('group_members').insert(members.slice(i, i + 2000));
  await su('pupil_fsm_periods').insert(
    inserted
      .filter(() => random() < 0.22)
      .map((p) => ({ school_id: schoolId, pupil_id: p.id, start_date: `${year - 1}-09-01` })),
  );
  await su('group_staff').insert({ school_id: schoolId, group_id: groupIds[0], user_id: teacher.id, role: 'teacher' });

  const frameworks = await su('frameworks').where({ school_id: schoolId }).whereIn('kind', ['wellbeing', 'attainment']);
  // performance.md counts four subjects: add science to the termly attainment framework.
  const attainment = frameworks.find((f) => f.kind === 'attainment')!;
  await su('framework_items').insert({
    school_id: schoolId,
    framework_id: attainment.id,
    name: 'Science',
    position: 3,
  });
  const items = await su('framework_items').whereIn(
    'framework_id',
    frameworks.map((f) => f.id),
  );
  const levels = await su('framework_levels').whereIn(
    'framework_id',
    frameworks.map((f) => f.id),
  );
  const levelId = new Map(levels.map((l) => [`${l.framework_id}:${l.value}`, l.id]));
  const terms = await su('terms').where({ school_id: schoolId }).orderBy('sequence');
  let scores = 0;
  let batch: Record<string, unknown>[] = [];
  const flush = async () => {
    if (!batch.length) return;
    await su('assessment_scores').insert(batch);
    scores += batch.length;
    batch = [];
  };
  for (const p of inserted) {
    const base = 1.5 + random() * 3.5;
    for (const [t, term] of terms.entries()) {
      for (const item of items) {
        const fw = frameworks.find((f) => f.id === item.framework_id)!;
        const value =
          fw.kind === 'wellbeing'
            ? Math.max(1, Math.min(5, Math.round(base + (random() - 0.5) * 1.6)))
            : 1 + Math.floor(random() * 4);
        batch.push({
          school_id: schoolId,
          pupil_id: p.id,
          framework_id: fw.id,
          item_id: item.id,
          term_id: term.id,
          level_id: levelId.get(`${fw.id}:${value}`),
          value,
          assessed_on: addDays(term.starts_on, 30 + (t % 5)),
        });
        if (batch.length >= 5000) await flush();
      }
    }
  }
  await flush();
  // A school's scores build up over three years, and autovacuum keeps their visibility map current,
  // so index-only scans work as they would in service; a bulk load seconds old would not show that.
  await su.raw('vacuum analyze');
  return {
    schoolId,
    teacherEmail: `teacher@bench${size}.test`,
    headEmail: `head@bench${size}.test`,
    groupId: groupIds[0]!,
    pupils: inserted.length,
    scores,
  };
}

function addDays(iso: string, days: number): string {
  return new Date(Date.parse(`${iso}T12:00:00Z`) + days * 86400000).toISOString().slice(0, 10);
}

/** Signs in over HTTP (with the page's CSRF token) and returns the session cookie. */
export async function signInCookie(
  origin: string,
  email: string,
  password = 'waypoint-demo-password',
): Promise<string> {
  const page = await fetch(`${origin}/sign-in`);
  const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0]!;
  const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  const res = await fetch(`${origin}/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, origin, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, email, password }),
  });
  const session = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  if (res.status !== 303 || !session) throw new Error(`sign-in as ${email} failed: ${res.status}`);
  return session;
}

export interface BenchServer {
  server: RunningServer;
  origin: string;
  /** Resident memory now, and the most the process has held, in MB. */
  memoryMb(): { now: number; peak: number };
  /** Every line the server has logged so far (stdout and stderr), uncapped. */
  logLines(): string[];
  stop(): Promise<void>;
}

/**
 * The server as `npm start` runs it (compiled, with its node flags) on a bench database, with
 * compiled templates as in production (NODE_ENV=test: production itself would also demand HTTPS).
 */
export async function startBenchServer(
  database: TestDatabase,
  opts: { runtimeUrl?: string; env?: Record<string, string> } = {},
): Promise<BenchServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'waypoint-bench-'));
  const server = await startServerProcess({
    DATABASE_URL: database.ownerUrl,
    RUNTIME_DATABASE_URL: opts.runtimeUrl ?? database.runtimeUrl,
    SESSION_SECRET: 'bench-session-secret-0123456789-abcdef',
    SEED_DEMO: 'false',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    DB_POOL_MAX: '10',
    NODE_ENV: 'test',
    ...opts.env,
  });
  // The process helper keeps only the first 200 KB of output; a bench reads the log of a whole run.
  const lines: string[] = [];
  let partial = '';
  const collect = (d: Buffer) => {
    const parts = (partial + d.toString('utf8')).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  };
  server.child.stdout!.on('data', collect);
  server.child.stderr!.on('data', collect);
  return {
    server,
    logLines: () => lines,
    origin: `http://127.0.0.1:${server.port}`,
    memoryMb() {
      const status = fs.readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
      const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
      return { now: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
    },
    async stop() {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The bare baseline (`baseline-server.ts`) on a database, as a superuser (so RLS does not apply). */
export function startBaselineServer(
  database: TestDatabase,
  opts: { url?: string; env?: Record<string, string> } = {},
): Promise<RunningServer> {
  return startServerProcess(
    { BASELINE_DATABASE_URL: opts.url ?? testCluster().superuserUrl(database.name), ...opts.env },
    'bench/baseline-server.ts',
  );
}

// Load runs --------------------------------------------------------------------------------------

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
export const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * CPU time (user + system, in ms) a process has used so far; with `children`, also that of its
 * children that have ended (a PostgreSQL backend's time moves to the postmaster when it exits).
 */
export function cpuMs(pid: number, children = false): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ').map(Number);
  return (f[11]! + f[12]! + (children ? f[13]! + f[14]! : 0)) * (1000 / 100);
}

/**
 * CPU used so far by the bench's PostgreSQL: its postmaster (with the backends that have ended) and
 * the backends still running. Other clusters on the machine (other people's tests) are not counted.
 */
export function postgresCpuMs(): number {
  const postmaster = Number(
    fs.readFileSync(path.join(testCluster().dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0],
  );
  let total = cpuMs(postmaster, true);
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const ppid = Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      if (ppid === postmaster) total += cpuMs(Number(pid));
    } catch {
      // the process ended while we looked
    }
  }
  return total;
}

export interface LoadTarget {
  server: RunningServer;
  url: string;
  headers: Record<string, string>;
}

export interface LoadRun {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** CPU per request of the server process and of PostgreSQL: where the time goes. */
  serverCpuMs: number;
  postgresCpuMs: number;
}

/**
 * One bounded autocannon run on 127.0.0.1. Closed loop by default (each connection sends its next
 * request when the last is answered); with `rate`, autocannon offers that many requests a second
 * across all connections (`overallRate`, `-R`). With spare connections (50 here, for a rate well
 * under the maximum), a slow answer does not hold back the next request, so it is near enough
 * open loop.
 */
export async function load(
  target: LoadTarget,
  opts: { duration: number; connections?: number; rate?: number },
): Promise<LoadRun> {
  const [server0, pg0] = [cpuMs(target.server.child.pid!), postgresCpuMs()];
  const result = await autocannon({
    url: target.url,
    headers: target.headers,
    connections: opts.connections ?? 50,
    duration: opts.duration,
    ...(opts.rate ? { overallRate: opts.rate } : {}),
  });
  const requests = Math.max(1, result.requests.total);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    serverCpuMs: (cpuMs(target.server.child.pid!) - server0) / requests,
    postgresCpuMs: (postgresCpuMs() - pg0) / requests,
  };
}

export const describeRun = (r: LoadRun) =>
  `rps=${Math.round(r.rps)} p50_ms=${r.p50} p99_ms=${r.p99} requests=${r.requests} errors=${r.errors} timeouts=${r.timeouts} non2xx=${r.non2xx}` +
  ` cpu_ms_per_request server=${r.serverCpuMs.toFixed(1)} postgres=${r.postgresCpuMs.toFixed(1)}`;

// Round trips ------------------------------------------------------------------------------------

/**
 * Round trips to PostgreSQL for one request, through a counting proxy (`pg-proxy.ts`) that only
 * this server's connections use: the fewest over a few requests after warming up (so pooled
 * connections exist and named statements are prepared), with that request's statements.
 */
export async function roundTripsOf(
  proxy: PgProxy,
  request: () => Promise<unknown>,
  tries = 3,
): Promise<{ roundTrips: number; statements: CapturedStatement[] }> {
  for (let i = 0; i < 3; i++) await request();
  let best: { roundTrips: number; statements: CapturedStatement[] } | undefined;
  for (let i = 0; i < tries; i++) {
    await settle();
    proxy.take();
    await request();
    // Work the server does after answering (a session save, a log line) still belongs to the request.
    await settle();
    const taken = proxy.take();
    if (!best || taken.roundTrips < best.roundTrips) best = taken;
  }
  return best!;
}

/**
 * A second server on the same database whose connections to PostgreSQL go through a counting
 * proxy, for `roundTripsOf`; stopped when `work` ends. Sessions live in the database, so a cookie
 * signed in here works on the bench's other servers too.
 */
export async function withCountingServer<T>(
  database: TestDatabase,
  work: (app: BenchServer, proxy: PgProxy) => Promise<T>,
): Promise<T> {
  const proxy = await startPgProxy(database.runtimeUrl);
  const app = await startBenchServer(database, { runtimeUrl: proxy.via(database.runtimeUrl) });
  try {
    return await work(app, proxy);
  } finally {
    await app.stop();
    await proxy.close();
  }
}

/** GET `url` and read the body; anything but a 200 is an error. */
export async function getOk(url: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(url, { headers });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
  return body;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 150));

/** One line per statement, shortened, for the bench's output. */
export const describeStatement = (s: CapturedStatement) =>
  `${s.simple ? 'simple' : 'extended'}: ${s.sql.replace(/\s+/g, ' ').slice(0, 140)}`;

export type { Knex };
