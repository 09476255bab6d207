import fs from 'node:fs';
import { startTestCluster, testCluster } from './cluster.js';

/** Mocha root hooks: one throwaway PostgreSQL for the run, removed at the end. */
export async function mochaGlobalSetup() {
  const started = Date.now();
  await startTestCluster();
  console.log(`  (test PostgreSQL ready in ${Date.now() - started} ms)`);
}

export async function mochaGlobalTeardown() {
  const tc = testCluster();
  await tc.cluster.stop();
  fs.rmSync(tc.dir, { recursive: true, force: true });
}
