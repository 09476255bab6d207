import { insertAtCommit, type Tx } from '../../db/index.js';
import type { AuditFilters } from './types.js';

export interface AuditRow {
  school_id: string | null;
  org_id: string | null;
  actor_user_id: string | null;
  actor_kind: string;
  action: string;
  entity_type: string | null;
  entity_id: string | null;
  fields: string[] | null;
  outcome: string;
  ip: string | null;
  request_id: string | null;
  meta: Record<string, unknown> | null;
}

export async function insertEvent(trx: Tx, row: AuditRow): Promise<void> {
  await trx('audit_events').insert(row);
}

/** The same row, sent with the transaction's COMMIT (see recordRead). */
export async function insertEventAtCommit(trx: Tx, row: AuditRow): Promise<void> {
  await insertAtCommit(trx, 'audit_events', { ...row });
}

export interface AuditListItem {
  id: number;
  occurred_at: Date;
  actor_user_id: string | null;
  action: string;
  entity_type: string | null;
  entity_id: string | null;
  fields: string[] | null;
  outcome: string;
  ip: string | null;
  request_id: string | null;
}

/** The school's entries, newest first; names of the people who acted come from tenancy's directory. */
export async function searchBySchool(
  trx: Tx,
  schoolId: string,
  f: AuditFilters,
  limit: number,
): Promise<AuditListItem[]> {
  const q = trx('audit_events')
    .where('school_id', schoolId)
    .select(
      'id',
      'occurred_at',
      'actor_user_id',
      'action',
      'entity_type',
      'entity_id',
      'fields',
      'outcome',
      'ip',
      'request_id',
    )
    .orderBy('id', 'desc')
    .limit(limit);
  if (f.userId) q.where('actor_user_id', f.userId);
  if (f.action) q.where('action', f.action);
  if (f.pupilId) q.where({ entity_type: 'pupil', entity_id: f.pupilId });
  if (f.from) q.where('occurred_at', '>=', f.from);
  if (f.to) q.where('occurred_at', '<', trx.raw(`?::date + 1`, [f.to]));
  if (f.before) q.where('id', '<', f.before);
  return q;
}

/** Sign-in events of one user, one per occasion (a person in two schools has a row in each). */
export async function recentAuthEvents(trx: Tx, userId: string, limit: number) {
  const { rows } = await trx.raw<{ rows: { occurred_at: Date; action: string; ip: string | null }[] }>(
    `select occurred_at, action, ip from (
       select distinct on (coalesce(request_id, id::text)) id, occurred_at, action, ip
         from (select id, request_id, occurred_at, action, ip from audit_events
                where actor_user_id = ? and action = any(?) order by id desc limit ?) recent
        order by coalesce(request_id, id::text), id desc) one_per_request
     order by occurred_at desc limit ?`,
    [
      userId,
      ['auth.sign_in', 'auth.sign_in_failed', 'auth.sign_out', 'auth.password_changed', 'auth.sign_out_everywhere'],
      limit * 5,
      limit,
    ],
  );
  return rows;
}
