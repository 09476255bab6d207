import type { ErrorLog } from './import-errors.js';
import { type CsvColumn, derivedColumns } from './import-format.js';
import type { ImportRow } from './import-row.js';
import { date, requiredExactText, text } from '../../lib/form-fields.js';
import { parseFsmPeriods, pupilRecordSchema, type PupilRecord, recordShape } from './record.js';

/**
 * Checks one row with the same rules as the edit form (record.ts), reporting each problem by
 * column. A file of bad rows repeats the same bad values on every row, and building zod's issues
 * for them cost about 17 problems × 10 µs a row; so the messages of a bad cell value are
 * remembered per column (a bounded number of values), and a row holding a remembered bad value is
 * checked field by field, from memory where it can be, without the whole-record parse.
 *
 * This gives the same problems in the same order: each field's check depends on its own value
 * only, and the whole-record checks (SEN needs, date of birth in the past, EAL) run only when every
 * field is valid, so never for a row with a bad cell.
 */

type Field = keyof typeof recordShape;
const fields = Object.keys(recordShape) as Field[];
const leavingDate = date('leaving date');
const leavingReason = requiredExactText('the leaving reason', 200);
/** A group's name is at most 100 characters (groups.name). */
const registrationGroup = text('the registration group', 100);
/** Bad values remembered per column; a file with more distinct bad values is checked the slow way. */
const remembered = 200;
const absent = '\u0000absent';

export class RowValidator {
  private readonly bad = new Map<string, Map<string, string[]>>();

  /** The messages for `value` in `column` if it is known to be bad. */
  private known(column: string, value: string | undefined): string[] | undefined {
    return this.bad.get(column)?.get(value ?? absent);
  }

  private hasRoom(column: string): boolean {
    return (this.bad.get(column)?.size ?? 0) < remembered;
  }

  private remember(column: string, value: string | undefined, messages: string[]): void {
    let values = this.bad.get(column);
    if (!values) this.bad.set(column, (values = new Map()));
    if (values.size < remembered) values.set(value ?? absent, messages);
  }

  /** One field's problems: remembered, or checked on its own and remembered if bad. */
  private fieldProblems(field: Field, value: string | undefined): string[] {
    const known = this.known(field, value);
    if (known) return known;
    const result = recordShape[field].safeParse(value);
    if (result.success) return [];
    const messages = result.error.issues.map((i) => i.message);
    this.remember(field, value, messages);
    return messages;
  }

  validate(raw: Partial<Record<CsvColumn, string>>, line: number, errors: ErrorLog): ImportRow | null {
    const before = errors.total;
    const input: Partial<Record<Field, string>> = {};
    for (const [k, v] of Object.entries(raw))
      if (k in recordShape && !derivedColumns.includes(k as CsvColumn)) input[k as Field] = v;

    let record: PupilRecord | null = null;
    if (fields.some((f) => this.known(f, input[f]))) {
      for (const f of fields) for (const message of this.fieldProblems(f, input[f])) errors.add(line, f, message);
    } else {
      const parsed = pupilRecordSchema.safeParse(input);
      if (parsed.success) record = parsed.data;
      else {
        for (const issue of parsed.error.issues) errors.add(line, String(issue.path[0] ?? '(row)'), issue.message);
        // Learn the bad values (the whole-record checks are about several fields, so not remembered).
        for (const f of new Set(parsed.error.issues.map((i) => i.path[0])))
          if (f && f in recordShape && this.hasRoom(f as Field)) this.fieldProblems(f as Field, input[f as Field]);
      }
    }

    let leaving: ImportRow['leaving'] = null;
    const hasReason = (raw.leaving_reason ?? '').trim() !== '';
    const dateValue = raw.leaving_date ?? '';
    let dateProblems = this.known('leaving_date', dateValue);
    let leaveDate: string | null = null;
    if (!dateProblems) {
      const parsed = leavingDate.safeParse(dateValue);
      if (parsed.success) leaveDate = parsed.data;
      else this.remember('leaving_date', dateValue, (dateProblems = parsed.error.issues.map((i) => i.message)));
    }
    if (dateProblems) {
      for (const message of dateProblems) errors.add(line, 'leaving_date', message);
    } else if (leaveDate && !hasReason) {
      errors.add(line, 'leaving_reason', 'A pupil with a leaving date needs a leaving reason');
    } else if (!leaveDate && hasReason) {
      errors.add(line, 'leaving_date', 'A leaving reason needs a leaving date');
    } else if (leaveDate) {
      const reason = leavingReason.safeParse(raw.leaving_reason);
      if (!reason.success) for (const issue of reason.error.issues) errors.add(line, 'leaving_reason', issue.message);
      else leaving = { leaving_date: leaveDate, leaving_reason: reason.data };
    }

    const fsm = parseFsmPeriods(raw.fsm_periods ?? '');
    if (fsm.problem) errors.add(line, 'fsm_periods', fsm.problem);

    // Blank (or only spaces) means the file says nothing about the pupil's class: it is left as it is.
    const group = registrationGroup.safeParse(raw.registration_group ?? '');
    if (!group.success) for (const issue of group.error.issues) errors.add(line, 'registration_group', issue.message);

    if (errors.total > before || !record || !group.success) return null;
    return {
      row: line,
      record: record as PupilRecord & { mis_id: string },
      leaving,
      fsm: fsm.periods,
      registrationGroup: group.data?.trim() || null,
    };
  }
}
