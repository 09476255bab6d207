import { z } from 'zod';
import { BadRequest } from '../errors.js';
import { emptyAsUndefined as blank, capitalise } from '../lib/text.js';
import { type FieldErrors, parseForm } from './forms.js';

/*
 * I4: query strings read with zod at the edge. app.ts uses Node's `querystring` parser, so a
 * repeated parameter arrives as an array and a value may hold anything a URL can carry. These
 * building blocks refuse arrays, control characters, over-long text, impossible dates and
 * non-uuid ids with a message a person can read, so a bad address is a 400 and never reaches
 * the database (where it would be a 500). An empty value means "not given", as a blank select.
 */

/** zod's error hook: a repeated parameter gets its own message, anything else `otherwise`. */
const onceOr = (name: string, otherwise: string) => (issue: { input?: unknown }) =>
  Array.isArray(issue.input) ? `${capitalise(name)} was given more than once: give one value` : otherwise;

/** C0 controls except tab, LF and CR (a search treats those as spaces), DEL and the C1 controls. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const controlCharacter = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/** Typed text, such as a search box: one value, no control characters, at most `max` characters. */
export const queryText = (name: string, max = 100) =>
  z.preprocess(
    blank,
    z
      .string({ error: onceOr(name, `Enter ${name} as text`) })
      .max(max, `${capitalise(name)} must be ${max} characters or fewer`)
      .refine(
        (v) => !controlCharacter.test(v),
        `${capitalise(name)} contains a control character, which cannot be searched for: remove it and try again`,
      )
      .optional(),
  );

/** One of a select's options. */
export const queryChoice = <const T extends readonly string[]>(
  name: string,
  values: T,
  choose = `Choose a ${name} from the list`,
) => z.preprocess(blank, z.enum(values, { error: onceOr(name, choose) }).optional());

/** The id of something chosen from a list. */
export const queryUuid = (name: string, choose = `Choose a ${name} from the list`) =>
  z.preprocess(blank, z.uuid({ error: onceOr(name, choose) }).optional());

/** A whole number from 1 to `max` written in digits (no `1e300`, nothing beyond a safe integer). */
export const queryWholeNumber = (
  name: string,
  max: number,
  problem = `${capitalise(name)} must be a whole number from 1 to ${max}`,
) =>
  z.preprocess(
    blank,
    z
      .string({ error: onceOr(name, problem) })
      .regex(/^\d{1,15}$/, problem)
      .transform(Number)
      .pipe(z.number().int().min(1, problem).max(max, problem))
      .optional(),
  );

/** The years a date filter may name: PostgreSQL has no year 0, and nothing here is older or newer. */
export const dateYears = { first: 1900, last: 2100 } as const;

/** What is wrong with a yyyy-mm-dd date, or null for a real date in `dateYears`. */
export function dateProblem(v: string, name: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (!m) return `Enter ${name} like 2026-09-01`;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < dateYears.first || y > dateYears.last)
    return `${capitalise(name)} must be in a year from ${dateYears.first} to ${dateYears.last}`;
  const date = new Date(Date.UTC(y, mo - 1, d));
  // Date.UTC rolls 31 February over into March, so a real date is one that comes back unchanged.
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d)
    return `${capitalise(name)} must be a real date: ${v} does not exist`;
  return null;
}

/** A date as an `<input type="date">` sends it: yyyy-mm-dd. */
export const queryDate = (name: string) =>
  z.preprocess(
    blank,
    z
      .string({ error: onceOr(name, `Enter ${name} like 2026-09-01`) })
      .superRefine((v, ctx) => {
        const problem = dateProblem(v, name);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
  );

/** A query's values as typed (the first of a repeated one), to show a refused filter form again. */
export function typedValues(query: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    const first = Array.isArray(v) ? v[0] : v;
    out[k] = typeof first === 'string' ? first : '';
  }
  return out;
}

function badAddress(errors: FieldErrors): BadRequest {
  return new BadRequest(
    `This address could not be used. ${Object.values(errors).join('. ')}. Go back and try again, or start again from the menu.`,
  );
}

/** A query with no form to show errors by (links, downloads): the data, or a 400 page naming the problem. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const parsed = parseForm(schema, query);
  if (!parsed.ok) throw badAddress(parsed.errors);
  return parsed.data;
}

export type ParsedFilters<T> =
  { ok: true; data: T } | { ok: false; errors: FieldErrors; values: Record<string, string> };

/**
 * A query behind a filter form. Errors on the form's own `fields` come back to be shown by each
 * field with the error summary (the page answers 400, keeping what was typed); an error anywhere
 * else (a link's sort or page, a hidden field) has no field to show it by: the standard 400 page.
 */
export function parseFilters<S extends z.ZodType>(
  schema: S,
  query: unknown,
  fields: readonly string[],
): ParsedFilters<z.infer<S>> {
  const parsed = parseForm(schema, query);
  if (parsed.ok) return parsed;
  if (Object.keys(parsed.errors).some((f) => !fields.includes(f))) throw badAddress(parsed.errors);
  return { ok: false, errors: parsed.errors, values: typedValues(query) };
}
