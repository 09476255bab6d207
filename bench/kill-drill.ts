/**
 * R1 kill drill, repeated: the server as `npm start` runs it on its own embedded PostgreSQL
 * (a fresh DATA_DIR), staff saving class-grid rows, writing notes and confirming a large MIS import
 * at once; SIGKILL at a random moment; restart on the same data; check that every acknowledged write
 * is there and nothing is half-applied. Prints one line per round and a summary; exits 1 if any
 * round found a lost or half-applied write.
 *
 *   npm run bench:kill-drill                 # 10 rounds, 10,000-row imports
 *   npm run bench:kill-drill -- 20 30000     # rounds, import rows
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../test/helpers/cluster.js';
import { runKillDrill, startDrillServer } from '../test/helpers/kill-drill.js';

const [rounds = 10, importRows = 10_000] = process.argv.slice(2).map(Number);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'waypoint-kill-drill-'));
const pgPort = await freePort();
let server = await startDrillServer(dir, pgPort);
const totals = { acked: 0, inflight: 0, committedInFlight: 0, importsAcked: 0, importsCutOff: 0, problems: 0 };
try {
  for (let round = 1; round <= rounds; round++) {
    const killAfterMs = 200 + Math.floor(Math.random() * 12_000);
    const { report, server: next } = await runKillDrill(server, {
      dataDir: dir,
      pgPort,
      killAfterMs,
      importRows,
      scoreWorkers: 6,
      noteWorkers: 3,
    });
    server = next;
    const acked = report.acknowledged.scores + report.acknowledged.notes + (report.acknowledged.import ? 1 : 0);
    const inflight =
      report.inFlightAtKill.scores + report.inFlightAtKill.notes + (report.inFlightAtKill.import ? 1 : 0);
    const committed =
      report.inFlightCommitted.scores + report.inFlightCommitted.notes + (report.inFlightCommitted.import ? 1 : 0);
    totals.acked += acked;
    totals.inflight += inflight;
    totals.committedInFlight += committed;
    totals.importsAcked += report.acknowledged.import ? 1 : 0;
    totals.importsCutOff += report.inFlightAtKill.import ? 1 : 0;
    totals.problems += report.problems.length;
    console.log(
      `kill-drill round=${round} kill_ms=${killAfterMs} acked_scores=${report.acknowledged.scores} acked_notes=${report.acknowledged.notes} import_acked=${report.acknowledged.import}` +
        ` inflight=${inflight} inflight_committed=${committed} import_inflight=${report.inFlightAtKill.import} import_inflight_committed=${report.inFlightCommitted.import}` +
        ` restart_ms=${report.restartMs} problems=${report.problems.length}`,
    );
    for (const p of report.problems) console.log(`  PROBLEM: ${p}`);
  }
  console.log(
    `kill-drill rounds=${rounds} import_rows=${importRows} acknowledged_writes=${totals.acked} all_found=${totals.problems === 0} in_flight_at_kill=${totals.inflight}` +
      ` in_flight_committed=${totals.committedInFlight} imports_acked=${totals.importsAcked} imports_cut_off=${totals.importsCutOff} problems=${totals.problems}`,
  );
  process.exitCode = totals.problems ? 1 : 0;
} finally {
  await server.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
