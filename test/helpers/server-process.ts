import { type ChildProcess, spawn } from 'node:child_process';
import { projectRoot } from '../../src/paths.js';

export interface RunningServer {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/** Runs `npm start`'s command (node --import tsx src/server.ts) as a child process until it says it is ready. */
export async function startServerProcess(env: Record<string, string>, script = 'src/server.ts'): Promise<RunningServer> {
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: projectRoot,
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
    child, port, output: () => out, exited,
    stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
