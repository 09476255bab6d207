/** Dates as the UK writes them (dd/mm/yyyy) and as the database stores them (ISO yyyy-mm-dd). */

/** A date written as dd/mm/yyyy (what people and MIS exports use) or yyyy-mm-dd. Returns ISO, or null if it is not a real date. */
export function parseDate(input: string): string | null {
  const v = input.trim();
  let y: number, m: number, d: number;
  let match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(v);
  if (match) [d, m, y] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else if ((match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v)))
    [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return date.toISOString().slice(0, 10);
}

/** Looks like a date (either way of writing it), whether or not the day exists: to tell "not a date" from "no such day". */
export const looksLikeDate = (v: string): boolean => /^\d{1,2}\/\d{1,2}\/\d{4}$|^\d{4}-\d{2}-\d{2}$/.test(v);

/** An ISO date as dd/mm/yyyy; empty for none. */
export function ukDate(iso: string | null | undefined): string {
  return iso ? iso.split('-').reverse().join('/') : '';
}

/** Today (UTC) as an ISO date. */
export const today = (): string => new Date().toISOString().slice(0, 10);
