import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { sharedRoot } from '../../src/db/embedded-root.js';
import { projectRoot } from '../../src/paths.js';
import { freePort } from '../helpers/cluster.js';
import { buildOnce, startServerProcess } from '../helpers/server-process.js';

const asRoot = process.getuid?.() === 0;
const get = (port: number, p: string) => fetch(`http://127.0.0.1:${port}${p}`, { redirect: 'manual' });

/**
 * A copy of the project, as a clone plus `npm install` would leave it, inside a folder of mode
 * 0700 (as /root is). node_modules is hard-linked (cp -al): the files are the same, but the only
 * way to them is through the private folder, which is what stopped the postgres OS user.
 */
function copyProjectInto(privateDir: string): string {
  const root = path.join(privateDir, 'waypoint');
  fs.mkdirSync(root);
  for (const entry of ['package.json', 'dist', 'views', 'public']) {
    fs.cpSync(path.join(projectRoot, entry), path.join(root, entry), { recursive: true });
  }
  const linked = spawnSync('cp', ['-al', path.join(projectRoot, 'node_modules'), path.join(root, 'node_modules')], {
    encoding: 'utf8',
  });
  if (linked.status !== 0) throw new Error(`cp -al node_modules failed: ${linked.stderr}`);
  return root;
}

function ownerOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
}

describe('The embedded PostgreSQL wherever the project is', () => {
  const title =
    'R6: as root, a project in a folder of mode 0700 (like /root) starts as npm start runs it, with PostgreSQL run by the postgres OS user from /var/lib/waypoint, and /readyz answers 200';
  if (!asRoot) {
    // Pending, with the reason in its title: only root hands PostgreSQL to another OS user.
    it(
      `${title} — not run: this test runs as uid ${process.getuid?.()}, and only as root does PostgreSQL run as another OS user`,
    );
    return;
  }

  it(title, async function () {
    this.timeout(300_000);
    await buildOnce();
    const privateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'waypoint-private-'));
    fs.chmodSync(privateDir, 0o700);
    let home: string | undefined;
    try {
      const root = copyProjectInto(privateDir);
      const server = await startServerProcess({ EMBEDDED_PG_PORT: String(await freePort()) }, undefined, root);
      try {
        expect((await get(server.port, '/readyz')).status).to.equal(200);
        expect((await get(server.port, '/sign-in')).status).to.equal(200);
        expect(server.output()).to.contain('demo data seeded');

        // .data/pg links to a data folder the postgres user owns, outside the private folder.
        const link = path.join(root, '.data', 'pg');
        expect(fs.lstatSync(link).isSymbolicLink(), '.data/pg is a link').to.equal(true);
        const dataDir = fs.readlinkSync(link);
        home = path.dirname(dataDir);
        expect(path.dirname(home)).to.equal(sharedRoot);
        const stat = fs.statSync(dataDir);
        expect(stat.uid, 'data folder owned by postgres').to.not.equal(0);
        expect(stat.mode & 0o777).to.equal(0o700);

        // The running postmaster is not root, and runs a copy of the binaries outside the private folder.
        const pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
        expect(ownerOf(pid)).to.equal(stat.uid);
        const exe = fs.readlinkSync(`/proc/${pid}/exe`);
        expect(exe.startsWith(`${sharedRoot}/postgres-`), exe).to.equal(true);
        expect(fs.statSync(exe).uid, 'binaries stay root-owned, so postgres cannot change them').to.equal(0);
      } finally {
        expect(await server.stop()).to.equal(0);
      }
      expect(server.output()).to.contain('stopped cleanly');
      expect(fs.existsSync(path.join(home!, 'pg', 'postmaster.pid')), 'Postgres stopped').to.equal(false);
    } finally {
      fs.rmSync(privateDir, { recursive: true, force: true });
      if (home) fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
