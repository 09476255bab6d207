import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { freePort } from './helpers/cluster.js';
import { runKillDrill, startDrillServer } from './helpers/kill-drill.js';
import type { RunningServer } from './helpers/server-process.js';

describe('Kill -9 under write load (R1)', function () {
  this.timeout(150_000);
  let dir: string;
  let server: RunningServer | undefined;
  after(async () => {
    if (server) await server.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('R1: after SIGKILL during score saves, note writes and an import, a restart has every acknowledged write and nothing half-applied', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'waypoint-r1-'));
    const pgPort = await freePort();
    const first = await startDrillServer(dir, pgPort);
    // A random moment while the import is likely still running; the checks hold wherever it lands.
    const killAfterMs = 300 + Math.floor(Math.random() * 2500);
    const { report, server: next } = await runKillDrill(first, {
      dataDir: dir,
      pgPort,
      killAfterMs,
      importRows: 3000,
      scoreWorkers: 4,
      noteWorkers: 2,
    });
    server = next;
    console.log(
      `      (killed at ${killAfterMs} ms: acknowledged ${JSON.stringify(report.acknowledged)}, in flight ${JSON.stringify(report.inFlightAtKill)}, of which committed ${JSON.stringify(report.inFlightCommitted)}; restart ${report.restartMs} ms)`,
    );
    expect(report.problems).to.deep.equal([]);
    expect(
      report.acknowledged.scores + report.acknowledged.notes,
      'the load wrote something before the kill',
    ).to.be.greaterThan(0);
  });
});
