/**
 * A start-up failure Waypoint understands: its message is one line that says what is wrong and
 * how to fix it. `npm start` prints that line alone, never a stack trace.
 */
export class StartupError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'StartupError';
  }
}

const fsProblems: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the disk',
  ENOTDIR: 'a part of the path is a file, not a folder',
};

/**
 * The one line printed for a failed start. Errors Waypoint did not foresee keep their own message
 * (first line only); LOG_LEVEL=debug logs the whole error for a bug report.
 */
export function startupFailureLine(err: unknown): string {
  if (err instanceof StartupError) return oneLine(err.message);
  const e = err as NodeJS.ErrnoException | undefined;
  if (e && typeof e.code === 'string' && fsProblems[e.code] && e.path) {
    return `Cannot use ${e.path}: ${fsProblems[e.code]}. Run as a user who may write there, or set DATA_DIR to a folder this user may write.`;
  }
  const message = err instanceof Error ? err.message : String(err);
  return `${oneLine(message)} (LOG_LEVEL=debug logs the details)`;
}

function oneLine(text: string): string {
  return (text.split('\n').find((line) => line.trim()) ?? text).trim();
}
