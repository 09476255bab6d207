import http from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Requests Node rejects before Express sees them (a malformed request line, headers over the
 * limit) are answered by Node itself, with none of our headers. This answers them instead, with
 * the same security headers as every other response (B2) and a plain message.
 */
const securityHeaderLines = (production: boolean) => [
  "Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'X-Content-Type-Options: nosniff',
  'Referrer-Policy: same-origin',
  'X-Frame-Options: DENY',
  'Cache-Control: no-store',
  ...(production ? ['Strict-Transport-Security: max-age=63072000; includeSubDomains'] : []),
];

const statusFor = (code: string | undefined): number => {
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  return 400;
};

export function answerClientErrors(server: http.Server, production: boolean): void {
  const headers = securityHeaderLines(production);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = statusFor(err.code);
    const body = `${http.STATUS_CODES[status] ?? 'Bad Request'}: Waypoint could not read this request.\n`;
    socket.end(
      [
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}`,
        'Content-Type: text/plain; charset=utf-8',
        `Content-Length: ${Buffer.byteLength(body)}`,
        'Connection: close',
        ...headers,
        '',
        body,
      ].join('\r\n'),
    );
  });
}
