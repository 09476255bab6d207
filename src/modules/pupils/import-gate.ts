import { HttpError } from '../../errors.js';

/**
 * At most one MIS import parse or apply runs at a time in this process. One 10 MB file fits in the
 * 192 MB heap `npm start` gives V8 with room to spare; two or three at once might not, and running
 * out of heap takes every school offline. Others wait their turn, in order, for a bounded time and
 * in a bounded queue (each waiting upload holds its file in memory), then get a 503 asking them to
 * try again: that request fails alone, never the process.
 */

export class ImportBusy extends HttpError {
  constructor() {
    super(503, 'Waypoint is busy with another school’s MIS import. Nothing was changed. Please try again in a minute.');
  }
}

export class WorkGate {
  private running = 0;
  private readonly waiting: { start: () => void; timer: NodeJS.Timeout }[] = [];

  constructor(public options: { concurrency: number; maxWaitMs: number; maxQueue: number }) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.enter();
    try {
      return await work();
    } finally {
      this.leave();
    }
  }

  private enter(): Promise<void> {
    if (this.running < this.options.concurrency && !this.waiting.length) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.options.maxQueue) return Promise.reject(new ImportBusy());
    return new Promise((resolve, reject) => {
      const entry = {
        start: () => {
          clearTimeout(entry.timer);
          this.running++;
          resolve();
        },
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(entry), 1);
          reject(new ImportBusy());
        }, this.options.maxWaitMs),
      };
      this.waiting.push(entry);
    });
  }

  private leave(): void {
    this.running--;
    if (this.running < this.options.concurrency) this.waiting.shift()?.start();
  }
}

/** The process-wide gate for MIS imports (tests may shorten the wait). */
export const importGate = new WorkGate({ concurrency: 1, maxWaitMs: 30_000, maxQueue: 4 });
