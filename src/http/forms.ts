import crypto from 'node:crypto';
import type { Request } from 'express';
import { z } from 'zod';
import { NotFound } from '../errors.js';
import { capitalise } from '../lib/text.js';

export type FieldErrors = Record<string, string>;

export type Parsed<T> = { ok: true; data: T } | { ok: false; errors: FieldErrors };

/** Validates a form body; on failure returns the first message for each field, in form order. */
export function parseForm<S extends z.ZodType>(schema: S, body: unknown): Parsed<z.infer<S>> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return { ok: true, data: result.data };
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? 'form');
    errors[field] ??= issue.message;
  }
  return { ok: false, errors };
}

/** I4: PostgreSQL text cannot hold a NUL, so a field with one is refused by the field, not with a 500. */
const storable = (label: string) =>
  z.string().refine((v) => !v.includes('\u0000'), `${capitalise(label)} contains a character that cannot be stored`);

/** Text a person typed: trimmed, required, with a readable message. */
export const requiredText = (label: string, max = 200) =>
  z
    .string({ error: `Enter ${label}` })
    .transform((v) => v.trim())
    .pipe(
      z
        .string()
        .min(1, `Enter ${label}`)
        .max(max, `${capitalise(label)} must be ${max} characters or fewer`),
    )
    .pipe(storable(label));

/** Optional text: blank becomes null. */
export const optionalText = (label: string, max = 200) =>
  z
    .string()
    .optional()
    .transform((v) => (v ?? '').trim())
    .pipe(z.string().max(max, `${capitalise(label)} must be ${max} characters or fewer`))
    .pipe(storable(label))
    .transform((v) => (v === '' ? null : v));

export const email = z
  .string({ error: 'Enter an email address' })
  .transform((v) => v.trim().toLowerCase())
  .pipe(z.email('Enter an email address in the right format, like name@school.sch.uk').max(254));

/** A checkbox: present ("on", "true", "1") or absent. */
export const checkbox = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (Array.isArray(v) ? v.at(-1) : v))
  .transform((v) => v === 'on' || v === 'true' || v === '1' || v === 'yes');

/** A list of checked values (one value arrives as a string, several as an array). */
export const checkedValues = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]), z.array(item));

export const uuid = z.uuid('That link is not valid');

/** A route's :id-style parameter, which must be a uuid; anything else is a 404 for `what`. */
export function uuidParam(req: Request, name: string, what: string): string {
  const parsed = uuid.safeParse(req.params[name]);
  if (!parsed.success) throw new NotFound(what);
  return parsed.data;
}

export const submissionKey = z.uuid().optional();

export const version = z.coerce.number({ error: 'The form is out of date. Reload the page.' }).int().min(1);

/** A new form's one-time key (R4). */
export const newSubmissionKey = () => crypto.randomUUID();
