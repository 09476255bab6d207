/**
 * The hostile MIS file of the field defect: a valid header and then, up to the 10 MB upload
 * limit, rows like `<n>,X,,,,x,x,…` in which nearly every cell is wrong (about 15 problems a
 * row, 250,000 rows). Deterministic.
 */
export const hostileColumns = [
  'mis_id',
  'upn',
  'legal_forename',
  'preferred_forename',
  'surname',
  'date_of_birth',
  'sex',
  'year_group',
  'admission_date',
  'leaving_date',
  'leaving_reason',
  'ethnicity',
  'first_language',
  'eal',
  'looked_after',
  'service_child',
  'sen_status',
  'sen_primary_need',
  'sen_secondary_need',
];

/**
 * Problems in each row: a bad UPN, no legal first name, no surname, and 11 bad codes or dates
 * (first_language and eal accept "x"; the leaving reason is not checked once its date is bad).
 * From the third line on, the UPN also repeats the first row's.
 */
export const problemsPerRow = 14;

export function hostileImportFile(maxBytes = 10 * 1024 * 1024 - 64): {
  content: Buffer;
  rows: number;
  problems: number;
} {
  const lines = [hostileColumns.join(',')];
  let size = lines[0]!.length;
  const tail = Array(hostileColumns.length - 5)
    .fill('x')
    .join(',');
  for (let n = 1; ; n++) {
    const line = `${n},X,,,,${tail}`;
    if (size + 1 + line.length > maxBytes) break;
    lines.push(line);
    size += 1 + line.length;
  }
  const rows = lines.length - 1;
  return { content: Buffer.from(lines.join('\n'), 'utf8'), rows, problems: rows * problemsPerRow + (rows - 1) };
}
