import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/paths.js';

export interface RunningServer {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/**
 * `npm start` is "<build> && node <flags> <entry>". Tests and benches run exactly that, read from package.json, so the
 * flags the README describes are the ones measured.
 */
function startCommand(): { build: string[]; node: string[] } {
  const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  const [build, run] = pkg.scripts.start.split('&&').map((part) => part.trim().split(/\s+/));
  if (build?.[0] !== 'tsc' || run?.[0] !== 'node') throw new Error(`unexpected start script: ${pkg.scripts.start}`);
  return {
    // The `tsc` npm runs: TypeScript 7's native compiler (the `typescript` name holds 6's API for eslint).
    build: [fs.realpathSync(path.join(projectRoot, 'node_modules', '.bin', 'tsc')), ...build.slice(1)],
    node: run.slice(1),
  };
}

let built: Promise<void> | undefined;

/** Compiles the app to dist/ as `npm start` does (once per process; a few seconds). */
export function buildOnce(): Promise<void> {
  built ??= new Promise<void>((resolve, reject) => {
    const tsc = spawn(process.execPath, startCommand().build, { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    tsc.stdout!.on('data', (d) => (out += d));
    tsc.stderr!.on('data', (d) => (out += d));
    tsc.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`build failed:\n${out}`))));
  });
  return built;
}

/**
 * Runs what `npm start` runs (the compiled server in dist/, with its node flags) as a child process until it says it is
 * ready. Another script (e.g. the bench's baseline) runs from TypeScript through tsx. `root` runs a copy of the project
 * (with this project's dist/ in it) from elsewhere.
 */
export async function startServerProcess(
  env: Record<string, string>,
  script?: string,
  root = projectRoot,
): Promise<RunningServer> {
  let out = '';
  if (!script) await buildOnce();
  const args = script ? ['--import', 'tsx', script] : startCommand().node;
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => {
    if (out.length < 200_000) out += d;
  });
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /"port":(\d+),"ms":\d+,"msg":"(?:Waypoint is ready|baseline ready)"/.exec(out);
      if (m) {
        clearInterval(timer);
        resolve(Number(m[1]));
      }
    }, 50);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`server exited (${code}) before it was ready:\n${out}`));
    });
  });
  return {
    child,
    port,
    output: () => out,
    exited,
    stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
