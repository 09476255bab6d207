import { stringify } from 'csv-stringify/sync';

/**
 * I3: spreadsheet programs run a cell that starts with = + - @ tab or CR as a formula. Such cells
 * are exported with a leading apostrophe. A cell that already starts with an apostrophe gets one
 * too, so that import can remove exactly one and every value round-trips unchanged.
 */
const formulaStart = /^[=+\-@\t\r']/;

export function neutralise(value: string): string {
  return formulaStart.test(value) ? `'${value}` : value;
}

export function unneutralise(value: string): string {
  return value.startsWith("'") && formulaStart.test(value.slice(1)) ? value.slice(1) : value;
}

/** RFC 4180 CSV (CRLF line ends, quotes doubled, fields quoted when needed), formula-safe, UTF-8 with BOM for Excel. */
export function toCsv(header: readonly string[], rows: (string | number | boolean | null | undefined)[][]): string {
  const cells = rows.map((row) => row.map((v) => (v === null || v === undefined ? '' : neutralise(String(v)))));
  return `\ufeff${stringify([header, ...cells], { record_delimiter: 'windows', quoted_match: /[",\r\n]/ })}`;
}
