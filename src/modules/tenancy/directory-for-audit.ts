import type { Tx } from '../../db/index.js';
import type { PeopleDirectory } from '../../http/deps.js';

/**
 * Tenancy answers "who is this?" for the audit log, which sits below tenancy and so may not read
 * `users` or `memberships` itself. Both run in the caller's transaction: RLS sees the caller.
 */
export const peopleDirectory: PeopleDirectory = {
  async namesOf(trx: Tx, userIds: readonly string[]) {
    if (!userIds.length) return new Map();
    const rows: { id: string; name: string | null }[] = await trx('users')
      .whereIn('id', userIds)
      .select('id', trx.raw(`nullif(concat_ws(' ', given_name, family_name), '') as name`));
    return new Map(rows.flatMap((r) => (r.name ? [[r.id, r.name] as const] : [])));
  },

  async schoolPeople(trx: Tx, schoolId: string) {
    return trx('users as u')
      .whereExists(trx('memberships as m').whereRaw('m.user_id = u.id').where('m.org_id', schoolId))
      .select('u.id', trx.raw(`concat_ws(' ', u.given_name, u.family_name) as name`))
      .orderBy(['u.family_name', 'u.given_name']);
  },
};
