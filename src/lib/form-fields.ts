import { z } from 'zod';
import { looksLikeDate, parseDate } from './dates.js';
import { fieldLabelAtStart } from './text.js';

/**
 * zod fields for text, dates and yes/no as people type them, shared by every form and the MIS import.
 * Text is stored exactly as typed: never trimmed or "fixed", so what goes in comes back out.
 */

const storable = (v: string) => !v.includes('\u0000');

function checkedText(label: string, max: number, required: boolean) {
  return z
    .string()
    .optional()
    .transform((v) => v ?? '')
    .superRefine((v, ctx) => {
      if (required && v.trim() === '') ctx.addIssue({ code: 'custom', message: `Enter ${label}` });
      else if ([...v].length > max)
        ctx.addIssue({ code: 'custom', message: `${fieldLabelAtStart(label)} must be ${max} characters or fewer` });
      else if (!storable(v))
        ctx.addIssue({
          code: 'custom',
          message: `${fieldLabelAtStart(label)} contains a character that cannot be stored`,
        });
    });
}

/** Optional free text: empty becomes null; anything else (even only spaces) is kept exactly as typed. */
export function text(label: string, max: number) {
  return checkedText(label, max, false).transform((v) => (v === '' ? null : v));
}

/** Required free text: must contain something besides spaces; kept exactly as typed. */
export function requiredExactText(label: string, max: number) {
  return checkedText(label, max, true);
}

/** A date typed as dd/mm/yyyy or yyyy-mm-dd, stored as ISO; empty is null (or "Enter …" when required). */
export function date(label: string, required = false) {
  return z
    .string()
    .optional()
    .transform((v) => (v ?? '').trim())
    .transform((v, ctx) => {
      if (v === '') {
        if (required) ctx.addIssue({ code: 'custom', message: `Enter ${label}` });
        return null;
      }
      const iso = parseDate(v);
      if (!iso) {
        ctx.addIssue({
          code: 'custom',
          message: looksLikeDate(v)
            ? `${fieldLabelAtStart(label)} must be a real date (${v} does not exist)`
            : `${fieldLabelAtStart(label)} must be a date like 27/03/2019`,
        });
        return null;
      }
      return iso;
    });
}

const yes = new Set(['y', 'yes', 'true', '1', 'on']);
const no = new Set(['', 'n', 'no', 'false', '0', 'off']);

/** How a yes/no cell or box is read: true, false, or null when it is neither. */
export function readYesNo(raw: string | undefined): boolean | null {
  const v = (raw ?? '').trim().toLowerCase();
  if (yes.has(v)) return true;
  if (no.has(v)) return false;
  return null;
}

export function yesNo(label: string) {
  return z
    .string()
    .optional()
    .transform((v, ctx) => {
      const answer = readYesNo(v);
      if (answer === null) ctx.addIssue({ code: 'custom', message: `${fieldLabelAtStart(label)} must be Y or N` });
      return answer ?? false;
    });
}

/** One of a fixed list, matched without regard to case, with aliases ("reception" → "R"). */
export function oneOf<T extends string>(
  label: string,
  allowed: readonly T[],
  aliases: Record<string, T> = {},
  required = false,
) {
  return z
    .string()
    .optional()
    .transform((v) => (v ?? '').trim())
    .transform((v, ctx): T | null => {
      if (v === '') {
        if (required) ctx.addIssue({ code: 'custom', message: `Choose ${label}` });
        return null;
      }
      const found = allowed.find((a) => a.toLowerCase() === v.toLowerCase()) ?? aliases[v.toLowerCase()];
      if (!found)
        ctx.addIssue({
          code: 'custom',
          message: `${fieldLabelAtStart(label)} “${v}” is not one of ${allowed.join(', ')}`,
        });
      return found ?? null;
    });
}
