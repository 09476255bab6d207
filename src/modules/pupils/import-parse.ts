import { parse } from 'csv-parse';
import { unneutralise } from './csv.js';
import { csvColumns, type CsvColumn, derivedColumns, normaliseHeader, requiredColumns } from './import-format.js';
import { type FsmPeriod, parseFsmPeriods, pupilRecordSchema, type PupilRecord, date, requiredExactText } from './record.js';

/**
 * Reads an MIS CSV file into validated pupil records, collecting every problem with its row and
 * column. Pure: no database. The whole file (at most 10 MB) is held as text and parsed row by row;
 * the validated records are all kept, because the preview and the one-transaction confirm need them.
 */

export interface RowError {
  /** The line in the file, counting the header as line 1. */
  row: number;
  column: string;
  message: string;
}

export interface ImportRow {
  row: number;
  record: PupilRecord & { mis_id: string };
  leaving: { leaving_date: string; leaving_reason: string } | null;
  fsm: FsmPeriod[];
}

export interface ParsedImport {
  rows: ImportRow[];
  errors: RowError[];
  /**
   * Lines with no MIS ID, left out: the import matches on MIS ID, and pupils added in Waypoint
   * (who have none) come back this way when a Waypoint export is imported again.
   */
  skipped: number[];
  /** A problem with the whole file (empty, not CSV, bad header): nothing else is checked. */
  fatal: string | null;
}

const fatal = (message: string): ParsedImport => ({ rows: [], errors: [], skipped: [], fatal: message });

function looksBinary(buffer: Buffer): string | null {
  const head = buffer.subarray(0, 8);
  if (head.subarray(0, 4).equals(Buffer.from('PK\u0003\u0004', 'latin1'))) return 'This looks like an Excel workbook (.xlsx), not a CSV file. In Excel choose File › Save As › “CSV UTF-8”, then upload that.';
  if (head.equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]))) return 'This looks like an old Excel file (.xls), not a CSV file. Save it as “CSV UTF-8” and upload that.';
  if (head.subarray(0, 4).toString('latin1') === '%PDF') return 'This is a PDF, not a CSV file. Export the pupil data from your MIS as CSV.';
  if (buffer.subarray(0, 8192).includes(0)) return 'This is not a text file. Upload a CSV file exported from your MIS.';
  return null;
}

const leavingShape = { leaving_date: date('leaving date'), leaving_reason: requiredExactText('the leaving reason', 200) };

export async function parseImport(buffer: Buffer): Promise<ParsedImport> {
  const binary = looksBinary(buffer);
  if (binary) return fatal(binary);
  if (!isUtf8(buffer)) {
    return fatal('The file is not UTF-8 text. Save it from your MIS or spreadsheet as “CSV UTF-8” and upload it again.');
  }
  const text = buffer.toString('utf8').replace(/^\ufeff/, '');
  if (text.trim() === '') return fatal('The file is empty. Export the pupils from your MIS again.');

  const rows: ImportRow[] = [];
  const errors: RowError[] = [];
  const skipped: number[] = [];
  const seenMis = new Map<string, number>();
  const seenUpn = new Map<string, number>();
  let header: (CsvColumn | null)[] | null = null;

  const parser = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true, info: true });
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = info.lines;
      if (!header) {
        const problem = checkHeader(record);
        if (problem) return fatal(problem);
        header = record.map((h) => normaliseHeader(h) as CsvColumn);
        continue;
      }
      if (record.length !== header.length) {
        errors.push({ row: line, column: '(whole row)', message: `This row has ${record.length} values but the header has ${header.length} columns. Check for a missing or extra comma.` });
        continue;
      }
      const raw: Partial<Record<CsvColumn, string>> = {};
      header.forEach((col, i) => {
        if (col) raw[col] = unneutralise(record[i] ?? '');
      });
      if (!(raw.mis_id ?? '').trim()) {
        skipped.push(line);
        continue;
      }
      // Duplicates are found among all rows, valid or not, so both copies get reported.
      const before = errors.length;
      for (const [column, seen, label] of [['mis_id', seenMis, 'MIS ID'], ['upn', seenUpn, 'UPN']] as const) {
        const value = (raw[column] ?? '').trim();
        if (!value) continue;
        const first = seen.get(value);
        if (first) errors.push({ row: line, column, message: `${label} ${value} appears more than once in the file (also row ${first})` });
        else seen.set(value, line);
      }
      const row = validateRow(raw, line, errors);
      if (row && errors.length === before) rows.push(row);
    }
  } catch (err) {
    const where = (err as { lines?: number }).lines;
    return fatal(`The file could not be read as CSV${where ? ` (near line ${where})` : ''}: check that quotes are closed and that it was saved as CSV.`);
  }
  if (!header) return fatal('The file is empty. Export the pupils from your MIS again.');
  if (!rows.length && !errors.length && !skipped.length) return fatal('The file has a header row but no pupils.');
  if (!rows.length && !errors.length) return fatal('No row in the file has an MIS ID, so no pupil can be matched. Export the pupils from your MIS with their MIS IDs.');
  return { rows, errors, skipped, fatal: null };
}

function isUtf8(buffer: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buffer);
    return true;
  } catch {
    return false;
  }
}

function checkHeader(cells: string[]): string | null {
  const names = cells.map(normaliseHeader);
  const unknown = names.filter((n) => !(csvColumns as readonly string[]).includes(n));
  if (unknown.length) {
    return `The header row has column${unknown.length > 1 ? 's' : ''} Waypoint does not know: ${unknown.map((u) => `“${u}”`).join(', ')}. The first row must name the columns, for example: ${requiredColumns.join(', ')}.`;
  }
  const missing = requiredColumns.filter((c) => !names.includes(c));
  if (missing.length) return `The file has no ${missing.map((m) => `“${m}”`).join(', ')} column${missing.length > 1 ? 's' : ''}. These are required.`;
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) return `The column “${dup}” appears twice in the header row.`;
  return null;
}

function validateRow(raw: Partial<Record<CsvColumn, string>>, line: number, errors: RowError[]): ImportRow | null {
  const before = errors.length;
  const recordInput = Object.fromEntries(Object.entries(raw).filter(([k]) => !derivedColumns.includes(k as CsvColumn) && k !== 'fsm_periods' && k !== 'leaving_date' && k !== 'leaving_reason'));
  const parsed = pupilRecordSchema.safeParse(recordInput);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) errors.push({ row: line, column: String(issue.path[0] ?? '(row)'), message: issue.message });
  }

  let leaving: ImportRow['leaving'] = null;
  const leavingDate = leavingShape.leaving_date.safeParse(raw.leaving_date ?? '');
  const hasReason = (raw.leaving_reason ?? '').trim() !== '';
  if (!leavingDate.success) {
    for (const issue of leavingDate.error.issues) errors.push({ row: line, column: 'leaving_date', message: issue.message });
  } else if (leavingDate.data && !hasReason) {
    errors.push({ row: line, column: 'leaving_reason', message: 'A pupil with a leaving date needs a leaving reason' });
  } else if (!leavingDate.data && hasReason) {
    errors.push({ row: line, column: 'leaving_date', message: 'A leaving reason needs a leaving date' });
  } else if (leavingDate.data) {
    const reason = leavingShape.leaving_reason.safeParse(raw.leaving_reason);
    if (!reason.success) for (const issue of reason.error.issues) errors.push({ row: line, column: 'leaving_reason', message: issue.message });
    else leaving = { leaving_date: leavingDate.data, leaving_reason: reason.data };
  }

  const fsm = parseFsmPeriods(raw.fsm_periods ?? '');
  if (fsm.problem) errors.push({ row: line, column: 'fsm_periods', message: fsm.problem });

  if (errors.length > before || !parsed.success) return null;
  return { row: line, record: parsed.data as PupilRecord & { mis_id: string }, leaving, fsm: fsm.periods };
}
