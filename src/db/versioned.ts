import type { Knex } from 'knex';
import { Conflict, NotFound } from '../errors.js';

/**
 * Stale writes (R5), one way everywhere. A form carries the `version` of the row it was read at;
 * a save locks the row, and if its version has moved on nothing is written and the request answers
 * 409 (the error handler, or the route re-rendering the form with the current values).
 */

/**
 * The 409 conflict of a stale write. It carries the row as it is now, so a form that shows the person's
 * version beside the current one (the pupil record) can catch it; everywhere else it is just a `Conflict`.
 */
export class StaleWrite<Row extends { version: number } = { version: number }> extends Conflict {
  constructor(
    readonly current: Row,
    message?: string,
  ) {
    super(message);
    this.name = 'StaleWrite';
  }
}

/** Throws the 409 conflict (a `StaleWrite` carrying `row`) unless the row is still at the version the form was read at. */
export function assertFresh<Row extends { version: number }>(row: Row, readAt: number, message?: string): void {
  if (row.version !== readAt) throw new StaleWrite(row, message);
}

/**
 * Locks one row (`select … for update`, held to the end of the transaction) and checks its version:
 * 404 naming `what` when there is no such row, 409 (`StaleWrite`) with `conflict` when it is stale.
 */
export async function lockFresh<Row extends { version: number }>(
  query: Knex.QueryBuilder,
  readAt: number,
  messages: { what: string; conflict?: string },
): Promise<Row> {
  const row = (await query.forUpdate().first()) as Row | undefined;
  if (!row) throw new NotFound(messages.what);
  assertFresh(row, readAt, messages.conflict);
  return row;
}
