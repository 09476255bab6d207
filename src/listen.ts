import type http from 'node:http';
import net from 'node:net';
import { StartupError } from './startup-error.js';

/** Listens, turning the usual failures (port in use, not allowed, unknown address) into one clear line. */
export function listen(server: http.Server | net.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(listenProblem(err, port, host));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Binds PORT for a moment and lets it go, so a port in use stops start-up before the database work. */
export async function assertPortFree(port: number, host: string): Promise<void> {
  if (port === 0) return;
  const probe = net.createServer();
  await listen(probe, port, host);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

function listenProblem(err: NodeJS.ErrnoException, port: number, host: string): Error {
  switch (err.code) {
    case 'EADDRINUSE':
      return new StartupError(
        `Port ${port} on ${host} is in use by another program: stop that program, or set PORT to a free port (e.g. PORT=3001 npm start).`,
      );
    case 'EACCES':
      return new StartupError(
        `This user may not listen on port ${port}: set PORT to a port above 1023 (e.g. PORT=3000), and put a reverse proxy on ${port}.`,
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StartupError(
        `HOST ${host} is not an address of this machine: set HOST to 127.0.0.1, or to 0.0.0.0 behind a proxy.`,
      );
    default:
      return err;
  }
}
