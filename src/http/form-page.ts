import type { Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { Conflict, FieldError } from '../errors.js';
import { type FieldErrors, parseForm } from './forms.js';

/** Services throw it (src/errors.ts); routes usually meet it here. */
export { FieldError } from '../errors.js';

/** What a form page is drawn with when it comes back: the messages by field and what the person typed. */
export interface FormState {
  errors: FieldErrors;
  values: Record<string, unknown>;
  /** The one-time key the form was sent with (R4), so a corrected form is still one submission. */
  submissionKey?: string;
  /** Set when the form comes back because someone else saved first (R5, 409). */
  conflict?: boolean;
}

export interface FormPost<S extends z.ZodType> {
  schema: S;
  /** Draws the form again. Called with 422 (or a FieldError's status) and the state to show. */
  page: (req: Request, res: Response, state: FormState, status: number) => unknown;
  /** Saves and answers, usually with a 303 redirect. May throw FieldError. */
  save: (req: Request, res: Response, data: z.infer<S>) => Promise<unknown>;
  /** The fields that are lists (checkboxes), kept as lists when one or none was ticked. */
  lists?: readonly string[];
  /**
   * For edit forms: a stale-write `Conflict` (R5) draws the form again at 409 with its message beside this
   * field and everything typed kept, so the person can compare and save again. Without it the 409 goes to
   * the error handler.
   */
  conflictField?: string;
}

/** The body as the person sent it, for drawing the form again: lists stay lists. */
export function typedValues(body: unknown, lists: readonly string[] = []): Record<string, unknown> {
  const values: Record<string, unknown> = { ...((body ?? {}) as Record<string, unknown>) };
  for (const name of lists) values[name] = [values[name] ?? []].flat();
  return values;
}

/**
 * The one way a form is handled: parse the body with its zod schema; if that fails, draw the page again with
 * the messages by field and the values typed (422); otherwise save, and if the service refuses a field, draw
 * the page again with that message; a stale-write conflict is drawn the same way when `conflictField` says where.
 * Anything else (a policy denial, a 409 without `conflictField`) goes to the error handler.
 */
export function formPost<S extends z.ZodType>(form: FormPost<S>): RequestHandler {
  return async (req, res) => {
    const again = (errors: FieldErrors, status: number, conflict = false) => {
      const body = req.body as Record<string, unknown> | undefined;
      const key = typeof body?.submissionKey === 'string' ? body.submissionKey : undefined;
      const state: FormState = { errors, values: typedValues(body, form.lists) };
      if (key) state.submissionKey = key;
      if (conflict) state.conflict = true;
      return form.page(req, res, state, status);
    };
    const parsed = parseForm(form.schema, req.body);
    if (!parsed.ok) return again(parsed.errors, 422);
    try {
      await form.save(req, res, parsed.data);
    } catch (err) {
      if (err instanceof FieldError) return again({ [err.field]: err.publicMessage }, err.status);
      if (err instanceof Conflict && form.conflictField)
        return again({ [form.conflictField]: err.publicMessage }, err.status, true);
      throw err;
    }
  };
}
