import type { FsmPeriod, PupilRecord } from './record.js';

/** One valid row of an MIS file, as the reader yields it and the validator, planner and apply step use it. */
export interface ImportRow {
  row: number;
  record: PupilRecord & { mis_id: string };
  leaving: { leaving_date: string; leaving_reason: string } | null;
  fsm: FsmPeriod[];
  /** The class the MIS registers the pupil in (trimmed), or null when the file gives none. */
  registrationGroup: string | null;
}
