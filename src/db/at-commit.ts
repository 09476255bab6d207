import { createRequire } from 'node:module';
import type { Knex } from 'knex';
import pg from 'pg';

// pg's own conversion of a JS value to the text it sends for a parameter (no types ship for it).
const require = createRequire(import.meta.url);
const { prepareValue } = require('pg/lib/utils.js') as { prepareValue: (value: unknown) => unknown };

type Tx = Knex.Transaction;
type Row = Record<string, unknown>;

/*
 * Inserts that may wait for COMMIT and travel in its message ("insert …; COMMIT"), one round trip
 * fewer: the audit row of a read, which nothing later in the transaction reads. They are still in
 * the transaction (P13): they commit with it, and a failed insert fails the commit (actor-client.ts).
 */

const pendingByTx = new WeakMap<Tx, string[]>();

/** Makes `trx` keep its deferred inserts in `pending` (withActor, for the transactions it opens). */
export function collectAtCommit(trx: Tx, pending: string[]): void {
  pendingByTx.set(trx, pending);
}

const identPattern = /^[a-z_][a-z0-9_]*$/;

function ident(name: string): string {
  if (!identPattern.test(name)) throw new TypeError('unexpected identifier');
  return `"${name}"`;
}

/**
 * A value as a literal: the same text pg would send as a parameter (JSON for objects, an array
 * literal for arrays), quoted by pg.escapeLiteral and left untyped, so PostgreSQL reads it as the
 * column's type exactly as it reads an untyped parameter. A NUL, which a text value cannot hold and
 * which would end a simple-protocol message, is refused.
 */
function literal(value: unknown): string {
  const text = prepareValue(value);
  if (text === null || text === undefined) return 'null';
  if (typeof text !== 'string') throw new TypeError('unexpected value for a deferred insert');
  if (text.includes('\0')) throw new TypeError('a deferred insert cannot hold a NUL');
  return pg.escapeLiteral(text);
}

/** `insert into <table> (<columns>) values (<literals>)`; names checked, values escaped. */
export function literalInsertSql(table: string, row: Row): string {
  // As knex does, a column whose value is undefined is left to its default.
  const columns = Object.keys(row).filter((c) => row[c] !== undefined);
  return `insert into ${ident(table)} (${columns.map(ident).join(', ')}) values (${columns.map((c) => literal(row[c])).join(', ')})`;
}

/**
 * Inserts `row` into `table` with the COMMIT of `trx` when withActor opened it, otherwise at once.
 * For rows nothing later in the transaction reads.
 */
export async function insertAtCommit(trx: Tx, table: string, row: Row): Promise<void> {
  const pending = pendingByTx.get(trx);
  if (pending) pending.push(literalInsertSql(table, row));
  else await trx(table).insert(row);
}
