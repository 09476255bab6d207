import type { Tx } from '../../db/index.js';
import type { PeopleDirectory } from '../../http/deps.js';
import { displayNames } from './directory.js';

/**
 * Tenancy answers "who is this?" for the audit log, which sits below tenancy and so may not read
 * `users` or `memberships` itself. Both run in the caller's transaction: RLS sees the caller.
 */
export const peopleDirectory: PeopleDirectory = {
  namesOf: displayNames,

  /** Everyone who has had a role at the school, disabled too: the log still names people who have left. */
  async schoolPeople(trx: Tx, schoolId: string) {
    return trx('users as u')
      .whereExists(trx('memberships as m').whereRaw('m.user_id = u.id').where('m.org_id', schoolId))
      .select('u.id', trx.raw(`concat_ws(' ', u.given_name, u.family_name) as name`))
      .orderBy(['u.family_name', 'u.given_name']);
  },
};
