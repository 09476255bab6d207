import crypto from 'node:crypto';
import type { Tx } from '../../db/index.js';

export type TokenPurpose = 'invitation' | 'password_reset';

export const tokenLifetimes: Record<TokenPurpose, number> = {
  invitation: 7 * 24 * 60 * 60 * 1000,
  password_reset: 60 * 60 * 1000,
};

/** Only the SHA-256 of a link token is stored; the token itself exists only in the email. */
export function hashToken(token: string): Buffer {
  return crypto.createHash('sha256').update(token).digest();
}

/** Issues a random single-use token, replacing any unused one of the same purpose. */
export async function issueToken(
  trx: Tx,
  userId: string,
  purpose: TokenPurpose,
  createdBy: string | null,
): Promise<string> {
  const token = crypto.randomBytes(32).toString('base64url');
  // An older link of the same purpose stops working: only the newest email's link is valid.
  await trx('auth_tokens').where({ user_id: userId, purpose }).whereNull('used_at').update({ used_at: trx.fn.now() });
  await trx('auth_tokens').insert({
    user_id: userId,
    purpose,
    token_hash: hashToken(token),
    expires_at: new Date(Date.now() + tokenLifetimes[purpose]),
    created_by: createdBy,
  });
  return token;
}

/** Finds the user a live token belongs to, without using it up. Needs the system actor. */
export async function peekToken(trx: Tx, token: string, purpose: TokenPurpose): Promise<string | null> {
  const row = await trx('auth_tokens')
    .where({ token_hash: hashToken(token), purpose })
    .whereNull('used_at')
    .where('expires_at', '>', trx.fn.now())
    .first('user_id');
  return row?.user_id ?? null;
}

/**
 * Uses a token up: marks it and every other unused token of the same purpose for that user as
 * used, so an older link stops working too. Returns the user id, or null if it was not valid.
 */
export async function consumeToken(trx: Tx, token: string, purpose: TokenPurpose): Promise<string | null> {
  const [row] = await trx('auth_tokens')
    .where({ token_hash: hashToken(token), purpose })
    .whereNull('used_at')
    .where('expires_at', '>', trx.fn.now())
    .update({ used_at: trx.fn.now() })
    .returning('user_id');
  if (!row) return null;
  await trx('auth_tokens')
    .where({ user_id: row.user_id, purpose })
    .whereNull('used_at')
    .update({ used_at: trx.fn.now() });
  return row.user_id as string;
}
