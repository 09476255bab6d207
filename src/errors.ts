/**
 * Errors a service or handler may throw on purpose. They carry the HTTP status the error handler
 * answers with, and a message safe to show to the user (never internal details).
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly publicMessage: string,
  ) {
    super(publicMessage);
    this.name = 'HttpError';
  }
}

export class NotFound extends HttpError {
  constructor(what = 'page') {
    super(404, `We could not find that ${what}.`);
  }
}

export class BadRequest extends HttpError {
  constructor(message = 'The request was not understood.') {
    super(400, message);
  }
}

export class Conflict extends HttpError {
  constructor(message = 'Someone else changed this while you were editing it.') {
    super(409, message);
  }
}

export class TooManyRequests extends HttpError {
  constructor(message: string) {
    super(429, message);
  }
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
