/**
 * I2 injection scan: sqlmap (Debian's `sqlmap` package: `apt-get install -y sqlmap`) with a
 * signed-in school admin's session against the pupil search, filters and sort, the audit filters,
 * the group "add pupils" search and the MIS import form. The server runs as `npm start` runs it, on
 * a free 127.0.0.1 port with a fresh DATA_DIR and a throwaway copy of the demo database. Each
 * target has a time limit; the total is a few minutes. Not part of `npm test`.
 *
 *   npm run bench:sqlmap                # 20 s per parameter (at least 90 s a target; about 8 min at most), level 2, risk 1, PostgreSQL payloads only
 *   SQLMAP_SECONDS_PER_PARAM=40 npm run bench:sqlmap
 *
 * Prints each target's findings (injection points sqlmap confirmed) and the total.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signInCookie, startBenchServer, withBenchDatabase } from './lib.js';

/** Time limit per target: this many seconds per parameter tested, at least 90. */
const perParam = Number(process.env.SQLMAP_SECONDS_PER_PARAM ?? 20);
const level = process.env.SQLMAP_LEVEL ?? '2';
const risk = process.env.SQLMAP_RISK ?? '1';

if (spawnSync('sqlmap', ['--version']).status !== 0) {
  console.error('sqlmap is not installed: apt-get update && apt-get install -y sqlmap');
  process.exit(2);
}

interface Target {
  name: string;
  /** The parameters to inject, in order (none: the `*` marks in the request, `marks` of them). */
  params: string[];
  marks?: number;
  args: string[];
}

function runSqlmap(
  target: Target,
  cookie: string,
  outDir: string,
): Promise<{ findings: string[]; cleared: string[]; timedOut: boolean; log: string }> {
  const seconds = Math.max(90, perParam * (target.params.length || target.marks || 1));
  return new Promise((resolve) => {
    const args = [
      '--batch',
      '--dbms=PostgreSQL',
      `--level=${level}`,
      `--risk=${risk}`,
      '--technique=BEUSTQ',
      '--time-sec=2',
      '--threads=4',
      '--flush-session',
      '--disable-coloring',
      `--output-dir=${outDir}`,
      '--cookie',
      cookie,
      '--skip-waf',
      '--answers=follow=N',
      ...(target.params.length ? ['-p', target.params.join(',')] : []),
      ...target.args,
    ];
    const child = spawn('sqlmap', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
    }, seconds * 1000);
    child.on('exit', () => {
      clearTimeout(timer);
      const block = /identified the following injection point\(s\)[\s\S]*?---([\s\S]*?)---/.exec(log)?.[1] ?? '';
      const findings = [...block.matchAll(/Parameter: ([^\n]+)/g)].map((m) => m[1]!.trim());
      // Parameters sqlmap finished with and found nothing (a time limit may stop it before the last).
      const cleared = [
        ...new Set([...log.matchAll(/parameter '([^']+)' does not seem to be injectable/g)].map((m) => m[1]!)),
      ];
      resolve({ findings, cleared, timedOut, log });
    });
  });
}

await withBenchDatabase(async (database) => {
  await database.su('school_settings').update({ mis_import_allowed: true });
  const groupId =
    (await database.su('groups').where({ name: '3 Oak' }).first('id'))?.id ??
    (await database.su('groups').first('id')).id;
  const server = await startBenchServer(database);
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'waypoint-sqlmap-'));
  try {
    const { origin } = server;
    const cookie = await signInCookie(origin, 'admin@oakfield.test');
    const page = await (await fetch(`${origin}/pupils/import`, { headers: { cookie } })).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
    if (!csrf) throw new Error('no CSRF token on the import page');
    const flag = (await database.su('support_flags').first('id'))?.id ?? '';
    const user = (await database.su('users').where({ email: 'head@oakfield.test' }).first('id')).id;

    // The import form as a browser posts it, with sqlmap's `*` marking each place to inject.
    const boundary = '----waypointsqlmap';
    const body = [
      `--${boundary}`,
      'Content-Disposition: form-data; name="_csrf"',
      '',
      csrf,
      `--${boundary}`,
      'Content-Disposition: form-data; name="mode"',
      '',
      'update*',
      `--${boundary}`,
      'Content-Disposition: form-data; name="file"; filename="pupils*.csv"',
      'Content-Type: text/csv',
      '',
      'mis_id,legal_forename,surname,date_of_birth,sex,year_group',
      'SQL1*,Amy*,Smith*,01/02/2018,F,3',
      `--${boundary}--`,
      '',
    ].join('\r\n');
    // The unmarked request must work as it stands, or sqlmap would only ever see a refusal.
    const plain = await fetch(`${origin}/pupils/import`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, origin, 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: body.replaceAll('*', ''),
    });
    if (plain.status !== 303) throw new Error(`the import form as posted answers ${plain.status}, not 303`);

    const targets: Target[] = [
      {
        name: 'pupil search, filters and sort (GET /pupils)',
        params: ['q', 'sort', 'dir', 'year', 'group', 'sen', 'fsm', 'eal', 'lac', 'flag', 'status', 'page'],
        args: [
          '-u',
          `${origin}/pupils?q=smith&sort=name&dir=asc&year=3&group=${groupId}&sen=any&fsm=now&eal=yes&lac=yes&flag=${flag}&status=all&page=1`,
        ],
      },
      {
        name: 'audit filters (GET /audit)',
        params: ['user', 'action', 'from', 'to', 'before'],
        args: ['-u', `${origin}/audit?user=${user}&action=pupil.viewed&from=2020-01-01&to=2030-01-01&before=999999`],
      },
      {
        name: 'group "add pupils" search (GET /groups/:id?add)',
        params: ['add_q', 'add_year'],
        args: ['-u', `${origin}/groups/${groupId}?add=1&add_q=smith&add_year=3`],
      },
      {
        name: 'MIS import form (POST /pupils/import, multipart)',
        params: [],
        marks: 5,
        args: [
          // -u rather than -r: with no terminal on stdin, sqlmap 1.7 reads its targets from stdin unless -u is given.
          '-u',
          `${origin}/pupils/import`,
          '--data',
          body,
          '--headers',
          `Content-Type: multipart/form-data; boundary=${boundary}\nOrigin: ${origin}`,
          '--ignore-code=422',
        ],
      },
    ];

    let total = 0;
    for (const target of targets) {
      const started = Date.now();
      const result = await runSqlmap(target, cookie, outDir);
      total += result.findings.length;
      const still = (await fetch(`${origin}/account`, { headers: { cookie }, redirect: 'manual' })).status;
      console.log(
        `sqlmap target="${target.name}" findings=${result.findings.length} seconds=${Math.round((Date.now() - started) / 1000)}` +
          ` finished=${!result.timedOut} cleared=${result.cleared.length ? result.cleared.join(',') : '-'} session_still_valid=${still === 200}`,
      );
      for (const f of result.findings) console.log(`  FINDING: ${f}`);
      if (process.env.SQLMAP_VERBOSE) console.log(result.log);
    }
    console.log(`sqlmap total_findings=${total} level=${level} risk=${risk} seconds_per_parameter=${perParam}`);
    process.exitCode = total ? 1 : 0;
  } finally {
    await server.stop();
    fs.rmSync(outDir, { recursive: true, force: true });
  }
});
