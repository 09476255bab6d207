import type { Tx } from './index.js';

/**
 * R4: claims a form's one-time submission key inside the write's own transaction. Returns false
 * when the same form was already submitted: concurrent duplicates wait on the unique key until
 * the first commits, then see it, so ten identical POSTs make one row.
 */
export async function firstSubmission(trx: Tx, userId: string, key: string | undefined): Promise<boolean> {
  if (!key) return true;
  const { rows } = await trx.raw<{ rows: unknown[] }>(
    'insert into idempotency_keys (key, user_id) values (?, ?) on conflict do nothing returning key',
    [key, userId],
  );
  return rows.length === 1;
}
