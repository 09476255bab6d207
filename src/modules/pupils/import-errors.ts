/**
 * The problems found in an MIS file, with bounded memory whatever the file holds. Every problem is
 * counted (in total and per column), but only the first few of each column, and a fixed number in
 * all, are kept with their words: a 10 MB file of bad rows holds millions of problems, and keeping
 * them all once exhausted the heap and took every school offline.
 */

export interface RowError {
  /** The line in the file, counting the header as line 1. */
  row: number;
  column: string;
  message: string;
}

export interface ErrorSummary {
  /** Every problem found. */
  total: number;
  /** Every problem found, by column. */
  byColumn: Record<string, number>;
  /** The first problems found (in file order), at most `perColumn` of a column and `kept` in all. */
  kept: RowError[];
}

export const errorLimits = { perColumn: 100, kept: 1000 };

/** Longest message kept: a message quotes the cell, and a cell may be many kilobytes long. */
const maxMessage = 300;

/**
 * A copy that does not share memory with the (possibly huge) string it came from: V8 keeps a
 * slice pointing into its parent, so a kept 300-character slice could hold a 16 KB cell alive.
 */
const detached = (s: string) => Buffer.from(s, 'utf8').toString('utf8');

export class ErrorLog {
  total = 0;
  private readonly counts = new Map<string, number>();
  private readonly kept: RowError[] = [];

  constructor(private readonly limits = errorLimits) {}

  add(row: number, column: string, message: string): void {
    this.total++;
    const seen = this.counts.get(column) ?? 0;
    this.counts.set(column, seen + 1);
    if (seen >= this.limits.perColumn || this.kept.length >= this.limits.kept) return;
    const text = message.length > maxMessage ? detached(`${message.slice(0, maxMessage - 1)}…`) : message;
    this.kept.push({ row, column: column.length > 64 ? detached(column.slice(0, 64)) : column, message: text });
  }

  summary(): ErrorSummary {
    return { total: this.total, byColumn: Object.fromEntries(this.counts), kept: [...this.kept] };
  }
}
