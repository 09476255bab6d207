/**
 * MIS import benchmark (performance.md: 2,000 pupils < 3 s; 30,000 < 30 s; memory flat).
 * Generates deterministic CSV files, then uploads, previews and confirms each over HTTP against the
 * server as `npm start` runs it (compiled, with its node flags; a fresh process for each size) on a
 * throwaway copy of the demo database. Prints times and the server process's memory (its RSS at
 * rest before the upload, and its peak during the import); never fails on a time.
 *
 *   npm run bench:import            # 2,000 and 30,000 pupils
 *   npm run bench:import -- 5000    # other sizes
 *   npm run bench:import -- hostile # the 10 MB file of 250,000 bad rows (test/helpers/import-files.ts): upload, preview twice
 */
import fs from 'node:fs';
import { freshDatabase, startTestCluster, testCluster } from '../test/helpers/cluster.js';
import { makeUpn } from '../src/modules/pupils/upn.js';
import { seededRandom, forenames, surnames, pick } from '../src/demo/names.js';
import { hostileImportFile } from '../test/helpers/import-files.js';
import { signInCookie, startBenchServer } from './lib.js';

function generate(rows: number): Buffer {
  const random = seededRandom(rows);
  const lines = [
    'mis_id,upn,legal_forename,preferred_forename,surname,date_of_birth,sex,year_group,admission_date,ethnicity,first_language,eal,looked_after,service_child,sen_status,sen_primary_need,sen_secondary_need,attendance_percent,fsm_periods',
  ];
  for (let i = 0; i < rows; i++) {
    const sex = random() < 0.5 ? 'F' : 'M';
    const year = 1 + (i % 11);
    const sen = random() < 0.12 ? 'K' : 'N';
    lines.push(
      [
        `B${String(i).padStart(6, '0')}`,
        makeUpn(String(100 + (i % 800)), String(1000 + (Math.floor(i / 800) % 9000)), 20 + (i % 6), i % 1000),
        pick(random, forenames[sex]),
        '',
        `"${pick(random, surnames)}"`,
        `${String(1 + (i % 28)).padStart(2, '0')}/0${1 + (i % 9)}/${2019 - year}`,
        sex,
        String(year),
        `0${1 + (i % 5)}/09/2022`,
        'WBRI',
        random() < 0.2 ? 'Polish' : 'English',
        '',
        'N',
        'N',
        sen,
        sen === 'K' ? 'SLCN' : '',
        '',
        (85 + random() * 15).toFixed(1),
        random() < 0.25 ? '2023-09-04..' : '',
      ].join(','),
    );
  }
  return Buffer.from(lines.join('\r\n'), 'utf8');
}

/** CPU time (user + system) the server process has used, in ms: less disturbed by other load than wall time. */
function cpuMs(pid: number | undefined): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const tokenOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

async function run(size: number) {
  const file = generate(size);
  const database = await freshDatabase();
  const server = await startBenchServer(database);
  try {
    await database.su('school_settings').update({ mis_import_allowed: true });
    const { origin } = server;
    const cookie = await signInCookie(origin, 'admin@oakfield.test');
    const get = async (url: string) => (await fetch(`${origin}${url}`, { headers: { cookie } })).text();
    const importPage = await get('/pupils/import');
    const atRest = server.memoryMb().now;

    const pid = server.server.child.pid;
    const c0 = cpuMs(pid);
    const t0 = performance.now();
    const form = new FormData();
    form.set('_csrf', tokenOf(importPage));
    form.set('mode', 'update');
    form.set('file', new Blob([file], { type: 'text/csv' }), 'bench.csv');
    const uploaded = await fetch(`${origin}/pupils/import`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, origin },
      body: form,
    });
    const url = uploaded.headers.get('location');
    if (uploaded.status !== 303 || !url) throw new Error(`upload failed: ${uploaded.status}`);
    const preview = await get(url);
    const t1 = performance.now();
    const c1 = cpuMs(pid);
    const fingerprint = /name="fingerprint" value="([0-9a-f]{32})"/.exec(preview)?.[1];
    if (!fingerprint)
      throw new Error(
        `preview failed: ${/This file cannot[^<]*<\/h2><p>([^<]*)/.exec(preview)?.[1] ?? preview.slice(0, 400)}`,
      );
    const confirmed = await fetch(`${origin}${url}/confirm`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: tokenOf(preview), fingerprint }),
    });
    const t2 = performance.now();
    const c2 = cpuMs(pid);
    if (confirmed.status !== 303) throw new Error(`confirm failed: ${confirmed.status}`);
    const created = Number((await database.su('pupils').where('mis_id', 'like', 'B%').count('* as n'))[0]!.n);
    const budget = size <= 2000 ? 3000 : size <= 30000 ? 30000 : null;
    const total = t2 - t0;
    console.log(
      `import rows=${size} bytes=${file.length} preview_ms=${Math.round(t1 - t0)} confirm_ms=${Math.round(t2 - t1)} total_ms=${Math.round(total)} server_cpu_ms=${c1 - c0},${c2 - c1}` +
        `${budget ? ` budget_ms=${budget} within=${total < budget}` : ''} created=${created} server_rss_at_rest_mb=${atRest} server_peak_rss_mb=${server.memoryMb().peak}`,
    );
  } finally {
    await server.stop();
    await database.drop();
  }
}

/** The field defect's file: it used to exhaust the heap when its preview was opened. */
async function runHostile() {
  const { content, rows, problems } = hostileImportFile();
  const database = await freshDatabase();
  const server = await startBenchServer(database);
  try {
    await database.su('school_settings').update({ mis_import_allowed: true });
    const { origin } = server;
    const cookie = await signInCookie(origin, 'admin@oakfield.test');
    const importPage = await (await fetch(`${origin}/pupils/import`, { headers: { cookie } })).text();
    const atRest = server.memoryMb().now;
    const t0 = performance.now();
    const form = new FormData();
    form.set('_csrf', tokenOf(importPage));
    form.set('mode', 'update');
    form.set('file', new Blob([content], { type: 'text/csv' }), 'hostile.csv');
    const c0 = cpuMs(server.server.child.pid);
    // Other schools are still served while the file is read: the slowest /healthz answer meanwhile.
    let probing = true;
    let slowest = 0;
    const probe = (async () => {
      while (probing) {
        const start = performance.now();
        await fetch(`${origin}/healthz`);
        slowest = Math.max(slowest, performance.now() - start);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const uploaded = await fetch(`${origin}/pupils/import`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, origin },
      body: form,
    });
    probing = false;
    await probe;
    const url = uploaded.headers.get('location');
    if (uploaded.status !== 303 || !url) throw new Error(`upload failed: ${uploaded.status}`);
    const t1 = performance.now();
    const cpu = cpuMs(server.server.child.pid) - c0;
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 2; i++) {
      const start = performance.now();
      bytes = (await (await fetch(`${origin}${url}`, { headers: { cookie } })).text()).length;
      times.push(Math.round(performance.now() - start));
    }
    const alive = server.server.child.exitCode === null && (await fetch(`${origin}/healthz`)).status === 200;
    console.log(
      `import hostile rows=${rows} bytes=${content.length} problems=${problems} upload_ms=${Math.round(t1 - t0)} upload_server_cpu_ms=${cpu} slowest_healthz_during_upload_ms=${Math.round(slowest)} preview_ms=${times.join(',')} preview_bytes=${bytes}` +
        ` alive=${alive} server_rss_at_rest_mb=${atRest} server_peak_rss_mb=${server.memoryMb().peak}`,
    );
  } finally {
    await server.stop();
    await database.drop();
  }
}

const args = process.argv.slice(2);
const sizes = args.map(Number).filter((n) => n > 0);
await startTestCluster();
try {
  if (args.includes('hostile')) await runHostile();
  else for (const size of sizes.length ? sizes : [2000, 30000]) await run(size);
} finally {
  const tc = testCluster();
  await tc.cluster.stop();
  fs.rmSync(tc.dir, { recursive: true, force: true });
}
