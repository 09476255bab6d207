import type { Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { HttpError } from '../errors.js';
import { type FieldErrors, parseForm } from './forms.js';

/** What a form page is drawn with when it comes back: the messages by field and what the person typed. */
export interface FormState {
  errors: FieldErrors;
  values: Record<string, unknown>;
  /** The one-time key the form was sent with (R4), so a corrected form is still one submission. */
  submissionKey?: string;
}

/**
 * A service's refusal that belongs beside one field ("that UPN is already used by …"). The form is shown
 * again with the message there and everything typed kept, never an error page.
 */
export class FieldError extends HttpError {
  constructor(
    readonly field: string,
    message: string,
    status = 422,
  ) {
    super(status, message);
    this.name = 'FieldError';
  }
}

export interface FormPost<S extends z.ZodType> {
  schema: S;
  /** Draws the form again. Called with 422 (or a FieldError's status) and the state to show. */
  page: (req: Request, res: Response, state: FormState, status: number) => unknown;
  /** Saves and answers, usually with a 303 redirect. May throw FieldError. */
  save: (req: Request, res: Response, data: z.infer<S>) => Promise<unknown>;
  /** The fields that are lists (checkboxes), kept as lists when one or none was ticked. */
  lists?: readonly string[];
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
 * the page again with that message. Anything else (a policy denial, a 409 conflict) goes to the error handler.
 */
export function formPost<S extends z.ZodType>(form: FormPost<S>): RequestHandler {
  return async (req, res) => {
    const again = (errors: FieldErrors, status: number) => {
      const body = req.body as Record<string, unknown> | undefined;
      const key = typeof body?.submissionKey === 'string' ? body.submissionKey : undefined;
      return form.page(
        req,
        res,
        { errors, values: typedValues(body, form.lists), ...(key ? { submissionKey: key } : {}) },
        status,
      );
    };
    const parsed = parseForm(form.schema, req.body);
    if (!parsed.ok) return again(parsed.errors, 422);
    try {
      await form.save(req, res, parsed.data);
    } catch (err) {
      if (err instanceof FieldError) return again({ [err.field]: err.publicMessage }, err.status);
      throw err;
    }
  };
}
