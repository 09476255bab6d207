import type { ListFilters } from './queries.js';

/**
 * Live search lists pupils on every pause in typing, and each listing is a read of special-category
 * data (SEN status), so each was one "Listed pupils" audit row: twelve rows for one name. Now one
 * search is one row (issue 15). A search is the run of live (htmx) listings from one session in
 * which only the typed text changes, with no pause over `keyGapMs`, for at most `searchMs` after
 * its row was written. The first listing of a search writes the row; the rest are covered by it.
 *
 * Why the session and not a header from the browser: the browser could send "still typing" for
 * any read and so keep reads out of the log. The session is held by the server, so a listing is
 * left unrecorded only when the server itself recorded a listing by the same person, in the same
 * session, seconds before: the log still says who listed pupils and when, to within `searchMs`
 * (P13). Full page loads, other filters, paging and the export are recorded every time.
 */
export interface SearchMark {
  /** When the search's audit row was written. */
  recordedAt: number;
  /** The last listing of the search. */
  lastAt: number;
  /** The other filters, sort and page, which a search keeps. */
  rest: string;
}

export const keyGapMs = 10_000;
export const searchMs = 60_000;

declare module 'express-session' {
  interface SessionData {
    pupilSearch?: SearchMark;
  }
}

const restOf = ({ q: _q, ...rest }: ListFilters & { page?: number }) => JSON.stringify(rest);

/** Whether this live listing belongs to the search already recorded in the session. */
export function continuesSearch(mark: SearchMark | undefined, query: ListFilters & { page?: number }, now: number) {
  return !!mark && mark.rest === restOf(query) && now - mark.lastAt <= keyGapMs && now - mark.recordedAt <= searchMs;
}

/** The session's mark after a live listing: a new search from now, or the same one a little longer. */
export function markSearch(
  mark: SearchMark | undefined,
  query: ListFilters & { page?: number },
  now: number,
  continued: boolean,
): SearchMark {
  return continued && mark ? { ...mark, lastAt: now } : { recordedAt: now, lastAt: now, rest: restOf(query) };
}
