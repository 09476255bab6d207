import type { ExportRow } from './list-service.js';

/**
 * The pupil CSV: what the export writes and the MIS import reads, so exporting and re-importing
 * changes nothing. Documented in the README ("MIS import format"); a sample is in
 * docs/sample-mis-import.csv.
 */
export const csvColumns = [
  'mis_id',
  'upn',
  'legal_forename',
  'preferred_forename',
  'surname',
  'date_of_birth',
  'sex',
  'year_group',
  'registration_group',
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
  'attendance_percent',
  'fsm_periods',
  'pupil_premium',
  'ever_6_fsm',
] as const;

export type CsvColumn = (typeof csvColumns)[number];

export const requiredColumns: CsvColumn[] = [
  'mis_id',
  'legal_forename',
  'surname',
  'date_of_birth',
  'sex',
  'year_group',
];

/** Written by the export for people to read; ignored by the import (they are worked out, not stored). */
export const derivedColumns: CsvColumn[] = ['pupil_premium', 'ever_6_fsm'];

const yn = (v: boolean | null | undefined) => (v ? 'Y' : 'N');

export function exportRow(p: ExportRow): string[] {
  const values: Record<CsvColumn, string> = {
    mis_id: p.mis_id ?? '',
    upn: p.upn ?? '',
    legal_forename: p.legal_forename,
    preferred_forename: p.preferred_forename ?? '',
    surname: p.surname,
    date_of_birth: p.date_of_birth ?? '',
    sex: p.sex ?? '',
    year_group: p.year_group ?? '',
    registration_group: p.registration_group ?? '',
    admission_date: p.admission_date ?? '',
    leaving_date: p.leaving_date ?? '',
    leaving_reason: p.leaving_reason ?? '',
    ethnicity: p.ethnicity ?? '',
    first_language: p.first_language ?? '',
    eal: yn(p.eal),
    looked_after: yn(p.looked_after),
    service_child: yn(p.service_child),
    sen_status: p.sen_status,
    sen_primary_need: p.sen_primary_need ?? '',
    sen_secondary_need: p.sen_secondary_need ?? '',
    attendance_percent:
      p.attendance_percent === null || p.attendance_percent === undefined ? '' : String(p.attendance_percent),
    fsm_periods: p.fsm_periods ?? '',
    pupil_premium: yn(p.pupil_premium),
    ever_6_fsm: yn(p.ever_6_fsm),
  };
  return csvColumns.map((c) => values[c]);
}

/** Header names as people write them: any case, spaces or hyphens for underscores. */
export function normaliseHeader(h: string): string {
  return h
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}
