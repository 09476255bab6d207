/**
 * MIS import benchmark (performance.md: 2,000 pupils < 3 s; 30,000 < 30 s; memory flat).
 * Generates deterministic CSV files, then uploads, previews and confirms each through the real
 * app and a real (throwaway, embedded) PostgreSQL. Prints figures; never fails on a time.
 *
 *   npm run bench:import            # 2,000 and 30,000 pupils
 *   npm run bench:import -- 5000    # other sizes
 */
import fs from 'node:fs';
import { startTestCluster, testCluster } from '../test/helpers/cluster.js';
import { origin, startTestApp } from '../test/helpers/app.js';
import { makeUpn } from '../src/modules/pupils/upn.js';
import { seededRandom, forenames, surnames, pick } from '../src/demo/names.js';

function generate(rows: number): Buffer {
  const random = seededRandom(rows);
  const lines = ['mis_id,upn,legal_forename,preferred_forename,surname,date_of_birth,sex,year_group,admission_date,ethnicity,first_language,eal,looked_after,service_child,sen_status,sen_primary_need,sen_secondary_need,attendance_percent,fsm_periods'];
  for (let i = 0; i < rows; i++) {
    const sex = random() < 0.5 ? 'F' : 'M';
    const year = 1 + (i % 11);
    const sen = random() < 0.12 ? 'K' : 'N';
    lines.push([
      `B${String(i).padStart(6, '0')}`, makeUpn(String(100 + (i % 800)), String(1000 + Math.floor(i / 800) % 9000), 20 + (i % 6), i % 1000),
      pick(random, forenames[sex]), '', `"${pick(random, surnames)}"`, `${String(1 + (i % 28)).padStart(2, '0')}/0${1 + (i % 9)}/${2019 - year}`, sex, String(year),
      `0${1 + (i % 5)}/09/2022`, 'WBRI', random() < 0.2 ? 'Polish' : 'English', '', 'N', 'N', sen, sen === 'K' ? 'SLCN' : '', '', (85 + random() * 15).toFixed(1),
      random() < 0.25 ? '2023-09-04..' : '',
    ].join(','));
  }
  return Buffer.from(lines.join('\r\n'), 'utf8');
}

async function run(size: number) {
  const file = generate(size);
  const app = await startTestApp({ LOG_LEVEL: 'warn' });
  await app.database.su('school_settings').update({ mis_import_allowed: true });
  const admin = await app.signIn('admin@oakfield.test');
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const baseRss = process.memoryUsage().rss;

  const t0 = performance.now();
  const token = await admin.csrf('/pupils/import');
  const uploaded = await admin.agent.post('/pupils/import').set('Origin', origin).field('_csrf', token).field('mode', 'update')
    .attach('file', file, { filename: 'bench.csv', contentType: 'text/csv' });
  const url = uploaded.headers.location as string;
  const preview = await admin.get(url);
  const t1 = performance.now();
  const fingerprint = /name="fingerprint" value="([0-9a-f]{32})"/.exec(preview.text)?.[1];
  if (!fingerprint) throw new Error(`preview failed: ${preview.status} ${/This file cannot[^<]*<\/h2><p>([^<]*)/.exec(preview.text)?.[1] ?? preview.text.slice(0, 400)}`);
  const confirmed = await admin.post(`${url}/confirm`, { fingerprint }, { tokenFrom: url });
  const t2 = performance.now();
  clearInterval(sampler);
  if (confirmed.status !== 303) throw new Error(`confirm failed: ${confirmed.status}`);
  const created = Number((await app.database.su('pupils').where('mis_id', 'like', 'B%').count('* as n'))[0]!.n);
  const budget = size <= 2000 ? 3000 : size <= 30000 ? 30000 : null;
  const total = t2 - t0;
  console.log(`import rows=${size} bytes=${file.length} preview_ms=${Math.round(t1 - t0)} confirm_ms=${Math.round(t2 - t1)} total_ms=${Math.round(total)}` +
    `${budget ? ` budget_ms=${budget} within=${total < budget}` : ''} created=${created} base_rss_mb=${Math.round(baseRss / 1048576)} peak_rss_mb=${Math.round(peak / 1048576)}`);
  await app.close();
}

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
await startTestCluster();
try {
  for (const size of sizes.length ? sizes : [2000, 30000]) await run(size);
} finally {
  const tc = testCluster();
  await tc.cluster.stop();
  fs.rmSync(tc.dir, { recursive: true, force: true });
}
