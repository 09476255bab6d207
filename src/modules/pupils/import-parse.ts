import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { CsvError, parse } from 'csv-parse';
import { unneutralise } from './csv.js';
import { ErrorLog } from './import-errors.js';
import { csvColumns, type CsvColumn, normaliseHeader, requiredColumns } from './import-format.js';
import type { ImportRow } from './import-row.js';
import { RowValidator } from './import-validate.js';

/**
 * Reads an MIS CSV file into validated pupil records, one row at a time, with every problem counted
 * by row and column. Pure: no database. Memory stays bounded whatever the file holds: the file is
 * parsed from its buffer in small chunks (never copied whole into a string), records reach the
 * caller one by one and are not kept here, only the first problems are kept (ErrorLog), and a row
 * or header longer than `maxRecordBytes` stops the read at once.
 */

export type { RowError } from './import-errors.js';

export type { ImportRow } from './import-row.js';

/** No pupil's row comes near this (the longest fields are 200 characters); a longer one is a broken file. */
export const maxRecordBytes = 16 * 1024;
const chunkBytes = 64 * 1024;
/** Rows between turns of the event loop, so other schools' requests are answered during a long parse. */
const rowsPerTurn = 100;
/** Unknown header names listed in the message; the rest are counted. */
const unknownListed = 5;
const skippedListed = 20;

function looksBinary(buffer: Buffer): string | null {
  const head = buffer.subarray(0, 8);
  if (head.subarray(0, 4).equals(Buffer.from('PK\u0003\u0004', 'latin1')))
    return 'This looks like an Excel workbook (.xlsx), not a CSV file. In Excel choose File › Save As › “CSV UTF-8”, then upload that.';
  if (head.equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])))
    return 'This looks like an old Excel file (.xls), not a CSV file. Save it as “CSV UTF-8” and upload that.';
  if (head.subarray(0, 4).toString('latin1') === '%PDF')
    return 'This is a PDF, not a CSV file. Export the pupil data from your MIS as CSV.';
  if (buffer.subarray(0, 8192).includes(0)) return 'This is not a text file. Upload a CSV file exported from your MIS.';
  return null;
}

const bom = Buffer.from([0xef, 0xbb, 0xbf]);
const blankBytes = new Set([0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d]);

function isBlank(buffer: Buffer): boolean {
  for (let i = buffer.subarray(0, 3).equals(bom) ? 3 : 0; i < buffer.length; i++)
    if (!blankBytes.has(buffer[i]!)) return false;
  return true;
}

/**
 * The file's line ending, found the way csv-parse would (the first CR, LF or CRLF), by a native
 * search: csv-parse's own discovery costs an allocation per byte of the first line, which made an
 * 8 MB header take many seconds.
 */
function lineEnding(buffer: Buffer): string {
  const lf = buffer.indexOf(0x0a);
  const cr = buffer.indexOf(0x0d);
  if (cr === -1 || (lf !== -1 && lf < cr)) return '\n';
  return buffer[cr + 1] === 0x0a ? '\r\n' : '\r';
}

/** Most fields a record may have (the format has 23 columns). */
export const maxFields = 200;

/**
 * The first record (by the line it starts on) that is wider than `maxFields` or longer than
 * `maxRecordBytes`, found by one pass over the bytes that respects quotes, before csv-parse builds
 * anything: csv-parse's own limit counts only the characters inside fields, so 10 MB of commas
 * (millions of empty fields, one array) got past it and exhausted the heap. The pass takes a turn
 * of the event loop every megabyte.
 */
async function oversized(buffer: Buffer, ending: string): Promise<{ line: number; wide: boolean } | null> {
  const eol = ending === '\r' ? 0x0d : 0x0a;
  const at = { quoted: false, fields: 1, start: 0, line: 1, recordLine: 1 };
  const scan = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const b = buffer[i];
      if (b === 0x22) at.quoted = !at.quoted;
      else if (b === 0x2c) {
        if (!at.quoted && ++at.fields > maxFields) return { line: at.recordLine, wide: true };
      } else if (b === eol) {
        at.line++;
        if (at.quoted) continue;
        if (i - at.start > maxRecordBytes) return { line: at.recordLine, wide: false };
        at.start = i + 1;
        at.fields = 1;
        at.recordLine = at.line;
      }
    }
    return null;
  };
  for (let from = 0; from < buffer.length; from += 1 << 20) {
    const found = scan(from, Math.min(buffer.length, from + (1 << 20)));
    if (found) return found;
    await nextTurn();
  }
  return buffer.length - at.start > maxRecordBytes ? { line: at.recordLine, wide: false } : null;
}

function sizeProblem(found: { line: number; wide: boolean }): string {
  if (found.line === 1)
    return `The header row (the first row of the file) is ${found.wide ? `wider than ${maxFields} columns` : `longer than ${maxRecordBytes / 1024} KB`}, so this is not a pupil file. The first row must name the columns, for example: ${requiredColumns.join(', ')}.`;
  if (found.wide)
    return `The row starting on line ${found.line} has more than ${maxFields} values, far more than the ${csvColumns.length} columns of a pupil file. Check that this is the file exported from your MIS.`;
  return `The row starting on line ${found.line} is longer than ${maxRecordBytes / 1024} KB, far longer than any pupil's details. This usually means a quote that is never closed: check the file and that it was saved as CSV.`;
}

function* chunks(buffer: Buffer) {
  for (let i = 0; i < buffer.length; i += chunkBytes) yield buffer.subarray(i, i + chunkBytes);
}

export class ImportReader {
  readonly errors = new ErrorLog();
  /** A problem with the whole file (empty, not CSV, bad header): nothing else is checked. */
  fatal: string | null = null;
  /**
   * Lines with no MIS ID, left out: the import matches on MIS ID, and pupils added in Waypoint
   * (who have none) come back this way when a Waypoint export is imported again.
   */
  readonly skipped = { count: 0, first: [] as number[] };
  /** Rows read after the header (skipped ones included). */
  rowsRead = 0;

  constructor(private readonly buffer: Buffer) {}

  /** The valid rows, in file order. When it ends, `fatal`, `errors` and `skipped` are complete. */
  async *rows(): AsyncGenerator<ImportRow> {
    const { buffer } = this;
    const early =
      looksBinary(buffer) ??
      (!isUtf8(buffer)
        ? 'The file is not UTF-8 text. Save it from your MIS or spreadsheet as “CSV UTF-8” and upload it again.'
        : null) ??
      (isBlank(buffer) ? 'The file is empty. Export the pupils from your MIS again.' : null);
    if (early) {
      this.fatal = early;
      return;
    }

    const ending = lineEnding(buffer);
    const tooBig = await oversized(buffer, ending);
    if (tooBig) {
      this.fatal = sizeProblem(tooBig);
      return;
    }

    const seenMis = new Map<string, number>();
    const seenUpn = new Map<string, number>();
    const validator = new RowValidator();
    let header: (CsvColumn | null)[] | null = null;
    const parser = parse({
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
      max_record_size: maxRecordBytes,
      record_delimiter: ending,
    });
    const source = Readable.from(chunks(buffer), { objectMode: false });
    source.pipe(parser);
    try {
      for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
        const line = info.lines;
        if (!header) {
          this.fatal = checkHeader(record);
          if (this.fatal) return;
          header = record.map((h) => normaliseHeader(h) as CsvColumn);
          continue;
        }
        if (++this.rowsRead % rowsPerTurn === 0) await nextTurn();
        if (record.length !== header.length) {
          this.errors.add(
            line,
            '(whole row)',
            `This row has ${record.length} values but the header has ${header.length} columns. Check for a missing or extra comma.`,
          );
          continue;
        }
        const raw: Partial<Record<CsvColumn, string>> = {};
        header.forEach((col, i) => {
          if (col) raw[col] = unneutralise(record[i] ?? '');
        });
        if (!(raw.mis_id ?? '').trim()) {
          if (this.skipped.first.length < skippedListed) this.skipped.first.push(line);
          this.skipped.count++;
          continue;
        }
        // Duplicates are found among all rows, valid or not, so both copies get reported.
        const before = this.errors.total;
        for (const [column, seen, label] of [
          ['mis_id', seenMis, 'MIS ID'],
          ['upn', seenUpn, 'UPN'],
        ] as const) {
          const value = (raw[column] ?? '').trim();
          if (!value) continue;
          const first = seen.get(value);
          if (first)
            this.errors.add(line, column, `${label} ${value} appears more than once in the file (also row ${first})`);
          else seen.set(value, line);
        }
        const row = validator.validate(raw, line, this.errors);
        if (row && this.errors.total === before) yield row;
      }
    } catch (err) {
      this.fatal = readFailure(err);
      return;
    } finally {
      source.unpipe(parser);
      source.destroy();
      parser.destroy();
    }
    if (!header) this.fatal = 'The file is empty. Export the pupils from your MIS again.';
    else if (!this.rowsRead) this.fatal = 'The file has a header row but no pupils.';
    else if (this.skipped.count === this.rowsRead)
      this.fatal =
        'No row in the file has an MIS ID, so no pupil can be matched. Export the pupils from your MIS with their MIS IDs.';
  }
}

function readFailure(err: unknown): string {
  if (!(err instanceof CsvError)) throw err;
  const line = (err as CsvError & { lines?: number }).lines;
  if (err.code === 'CSV_MAX_RECORD_SIZE') {
    if (line === 1)
      return `The header row (the first row of the file) is longer than ${maxRecordBytes / 1024} KB, so this is not a pupil file. The first row must name the columns, for example: ${requiredColumns.join(', ')}.`;
    return `Line ${line ?? '?'} of the file is longer than ${maxRecordBytes / 1024} KB, far longer than any pupil's details. This usually means a quote that is never closed: check the file and that it was saved as CSV.`;
  }
  return `The file could not be read as CSV${line ? ` (near line ${line})` : ''}: check that quotes are closed and that it was saved as CSV.`;
}

const quoted = (name: string) => `“${name.length > 40 ? `${name.slice(0, 39)}…` : name}”`;

function checkHeader(cells: string[]): string | null {
  const names = cells.map(normaliseHeader);
  const known = new Set<string>(csvColumns);
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length) {
    const listed = unknown.slice(0, unknownListed).map(quoted).join(', ');
    const more = unknown.length > unknownListed ? ` and ${unknown.length - unknownListed} more` : '';
    return `The header row has column${unknown.length > 1 ? 's' : ''} Waypoint does not know: ${listed}${more}. The first row must name the columns, for example: ${requiredColumns.join(', ')}.`;
  }
  const missing = requiredColumns.filter((c) => !names.includes(c));
  if (missing.length)
    return `The file has no ${missing.map((m) => `“${m}”`).join(', ')} column${missing.length > 1 ? 's' : ''}. These are required.`;
  const seen = new Set<string>();
  const dup = names.find((n) => seen.size === seen.add(n).size);
  if (dup) return `The column “${dup}” appears twice in the header row.`;
  return null;
}
