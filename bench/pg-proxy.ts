/**
 * A TCP proxy in front of PostgreSQL that reads what clients send (the frontend protocol) and counts
 * round trips: a simple Query ('Q') or an extended-protocol Sync ('S') is one wait for
 * ReadyForQuery. node-pg never pipelines, so this is the number of times a request waits on the
 * database, whatever the number of statements in each message. It also keeps the SQL and bound
 * values of each statement, so a bench can list them (where the time goes) or replay them.
 *
 * Only for counting and capture: the bytes go through Node, so load runs never use it. Passwords
 * ('p' messages) are not read.
 */
import net from 'node:net';

export interface CapturedStatement {
  sql: string;
  /** Bound values as text (node-pg sends text); empty for a simple query. */
  values: (string | null)[];
  /** True for a simple-protocol message, which may hold several statements (e.g. "BEGIN; select set_config(…)"). */
  simple: boolean;
}

export interface PgProxy {
  port: number;
  /** `url` (a postgres:// URL) pointing at the proxy instead. */
  via(url: string): string;
  /** Round trips and statements since the last call (or since the proxy started). */
  take(): { roundTrips: number; statements: CapturedStatement[] };
  close(): Promise<void>;
}

const sslRequest = 80877103;
const gssRequest = 80877104;

const cstring = (b: Buffer, at: number): [string, number] => {
  const end = b.indexOf(0, at);
  return [b.toString('utf8', at, end), end + 1];
};

export async function startPgProxy(targetUrl: string): Promise<PgProxy> {
  const target = new URL(targetUrl);
  const targetHost = target.hostname === 'localhost' ? '127.0.0.1' : target.hostname;
  const targetPort = Number(target.port || 5432);
  let roundTrips = 0;
  let statements: CapturedStatement[] = [];
  const sockets = new Set<net.Socket>();

  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(client).add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);

    // Per connection: its named prepared statements, and what has arrived but is not a whole message yet.
    const named = new Map<string, string>();
    let pending: Buffer = Buffer.alloc(0);
    let startup = true;
    client.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      for (;;) {
        if (startup) {
          // Startup-phase messages have no type byte: length, then a code.
          if (pending.length < 8) return;
          const length = pending.readInt32BE(0);
          if (pending.length < length) return;
          const code = pending.readInt32BE(4);
          startup = code === sslRequest || code === gssRequest;
          pending = pending.subarray(length);
          continue;
        }
        if (pending.length < 5) return;
        const type = String.fromCharCode(pending[0]!);
        const total = 1 + pending.readInt32BE(1);
        if (pending.length < total) return;
        const body = pending.subarray(5, total);
        pending = pending.subarray(total);
        if (type === 'Q') {
          roundTrips++;
          statements.push({ sql: body.toString('utf8', 0, body.length - 1), values: [], simple: true });
        } else if (type === 'S') {
          roundTrips++;
        } else if (type === 'P') {
          const [name, at] = cstring(body, 0);
          named.set(name, cstring(body, at)[0]);
        } else if (type === 'B') {
          let at = cstring(body, 0)[1];
          const [name, next] = cstring(body, at);
          at = next;
          const formats = body.readInt16BE(at);
          at += 2 + 2 * formats;
          const count = body.readInt16BE(at);
          at += 2;
          const values: (string | null)[] = [];
          for (let i = 0; i < count; i++) {
            const length = body.readInt32BE(at);
            at += 4;
            values.push(length < 0 ? null : body.toString('utf8', at, at + length));
            if (length > 0) at += length;
          }
          statements.push({ sql: named.get(name) ?? '?', values, simple: false });
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    via(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    take() {
      const taken = { roundTrips, statements };
      roundTrips = 0;
      statements = [];
      return taken;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
