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

interface PreludeConfig {
  afterBegin?: string;
  /** Literal SQL to send in COMMIT's message, asked for when the transaction commits ('' for none). */
  beforeCommit?: () => string;
}

/**
 * Transaction config that makes BEGIN carry more SQL, and optionally COMMIT too (literal only: the
 * message has no parameters).
 */
export function beginWith(sql: string, beforeCommit?: () => string): Knex.TransactionConfig {
  return { afterBegin: sql, ...(beforeCommit ? { beforeCommit } : {}) } as Knex.TransactionConfig;
}

class PgTransactionWithPrelude extends PgTransaction {
  private readonly afterBegin: string | undefined;
  private readonly beforeCommit: (() => string) | undefined;

  constructor(client: unknown, container: unknown, config: PreludeConfig | undefined, outerTx: unknown) {
    // knex starts the transaction on a later tick, so the fields are set before begin() runs.
    super(client, container, config, outerTx);
    this.afterBegin = config?.afterBegin;
    this.beforeCommit = config?.beforeCommit;
  }

  /*
   * If the SQL after BEGIN fails (say a table it reads is gone), PostgreSQL has already started the
   * transaction and marked it aborted; knex would hand the connection back to the pool like that,
   * and every later query on it would fail. So ROLLBACK is sent on the connection first.
   */
  begin(conn: unknown) {
    if (!this.afterBegin) return super.begin(conn);
    // trxClient.query, not this.query: knex's this.query swallows the error (it rejects the
    // transaction itself), and the ROLLBACK must go first. The rejection then settles the transaction.
    return this.trxClient.query(conn, `BEGIN; ${this.afterBegin}`).catch(async (err: unknown) => {
      await (conn as { query(sql: string): Promise<unknown> }).query('ROLLBACK').catch(() => undefined);
      throw err;
    });
  }

  /*
   * "<deferred statements>; COMMIT" as one message: PostgreSQL runs them in this transaction, in
   * order, and stops at the first error, so a failed statement never commits. The transaction is
   * then in the aborted state, and COMMIT was skipped, so ROLLBACK is sent before the connection
   * goes back to the pool, and the transaction rejects with the statement's error. Like knex's own
   * commit, this marks the transaction completed at once and settles it when the answer comes.
   */
  commit(conn: unknown, value: unknown) {
    const before = this.beforeCommit?.();
    if (!before) return super.commit(conn, value);
    const committed = this.trxClient.query(conn, `${before}; COMMIT;`);
    this._completed = true;
    return committed.then(
      () => this._resolver(value),
      async (err: unknown) => {
        // On the connection itself: the transaction's own client refuses queries once it is completed.
        await (conn as { query(sql: string): Promise<unknown> }).query('ROLLBACK').catch(() => undefined);
        this._rejecter(err);
      },
    );
  }
}

export class PgClientWithPrelude extends PgClient {
  override transaction(container: unknown, config: PreludeConfig | undefined, outerTx: unknown): Knex.Transaction {
    return new PgTransactionWithPrelude(this, container, config, outerTx) as unknown as Knex.Transaction;
  }
}
