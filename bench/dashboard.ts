/**
 * School dashboard timing (performance.md: < 150 ms for a single request, 1,500 pupils, with the
 * vulnerable-group comparison). Times sequential requests through the real app and prints figures.
 *
 *   npm run bench:dashboard            # 30 requests
 *   npm run bench:dashboard -- 100
 */
import { seedSchool, signInCookie, startBenchServer, withBenchDatabase } from './lib.js';

const requests = Number(process.argv[2] ?? 30);
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

await withBenchDatabase(async (database) => {
  const school = await seedSchool(database, 1500);
  const app = await startBenchServer(database);
  try {
    const { origin } = app;
    const cookie = await signInCookie(origin, school.headEmail);
    const times: number[] = [];
    for (let i = 0; i < requests + 5; i++) {
      const t0 = performance.now();
      const res = await fetch(`${origin}/dashboard`, { headers: { cookie } });
      const body = await res.text();
      if (res.status !== 200 || !body.includes('Vulnerable groups')) throw new Error(`dashboard failed: ${res.status}`);
      if (i >= 5) times.push(performance.now() - t0);
    }
    const round = (n: number) => Math.round(n * 10) / 10;
    console.log(
      `dashboard pupils=${school.pupils} assessment_rows=${school.scores} requests=${times.length} median_ms=${round(pct(times, 50))} p95_ms=${round(pct(times, 95))} max_ms=${round(Math.max(...times))} budget_ms=150`,
    );
  } finally {
    await app.stop();
  }
});
