import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Keys that must never reach a log line, wherever they appear: credentials,
 * tokens, cookies, and the bodies of notes or prompts (special-category data).
 */
export const redactPaths = [
  'password',
  'newPassword',
  'currentPassword',
  'token',
  'csrfToken',
  '_csrf',
  'body',
  'noteBody',
  'prompt',
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.body',
  '*.prompt',
];

/** Paths whose last segment is a secret (invitation and reset links). */
const secretPathSegment = /(\/(?:invitations|reset-password)\/)[^/?#]+/g;

/** A URL with secrets removed: link tokens masked, query string dropped (it may carry search terms). */
export function safeUrl(url: string): string {
  const withoutQuery = url.split('?')[0] ?? '';
  return withoutQuery.replace(secretPathSegment, '$1[redacted]');
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: redactPaths, censor: '[redacted]' },
      base: { app: 'waypoint' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

export type { Logger };
