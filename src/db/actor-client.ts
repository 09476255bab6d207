import { createRequire } from 'node:module';
import type { Knex } from 'knex';

/*
 * knex sends BEGIN and then, in withActor, the actor's settings: two round trips before any work.
 * This pg client sends both in one simple-protocol message ("BEGIN; select set_config(…)"), which
 * saves a round trip on every request. knex has no public hook for what BEGIN sends, so this extends
 * its pg client and transaction classes (unchanged in shape since knex 0.95); the migration, RLS and
 * withActor tests all run through it.
 */
const require = createRequire(import.meta.url);
const PgClient = require('knex/lib/dialects/postgres/index.js') as typeof Knex.Client;
// knex ships no types for its transaction classes.
const PgTransaction = require('knex/lib/dialects/postgres/execution/pg-transaction.js') as new (
  ...args: unknown[]
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the untyped knex class is extended, so its instances are any
) => any;

/** Transaction config that makes BEGIN carry more SQL (literal only: the message has no parameters). */
export function beginWith(sql: string): Knex.TransactionConfig {
  return { afterBegin: sql } as Knex.TransactionConfig;
}

class PgTransactionWithPrelude extends PgTransaction {
  private readonly afterBegin: string | undefined;

  constructor(client: unknown, container: unknown, config: { afterBegin?: string } | undefined, outerTx: unknown) {
    // knex starts the transaction on a later tick, so the field is set before begin() runs.
    super(client, container, config, outerTx);
    this.afterBegin = config?.afterBegin;
  }

  begin(conn: unknown) {
    return this.afterBegin ? this.query(conn, `BEGIN; ${this.afterBegin}`) : super.begin(conn);
  }
}

export class PgClientWithPrelude extends PgClient {
  override transaction(
    container: unknown,
    config: { afterBegin?: string } | undefined,
    outerTx: unknown,
  ): Knex.Transaction {
    return new PgTransactionWithPrelude(this, container, config, outerTx) as unknown as Knex.Transaction;
  }
}
