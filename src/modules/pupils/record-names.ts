import type { RecordNamer } from '../../http/deps.js';
import { knownAs } from '../../lib/names.js';
import { pupilNames } from './pupil-access.js';

/**
 * How the audit log (below pupils) names a pupil record: the name the school uses and a link to the
 * profile, only for pupils the reader may see (the pupil scope, and RLS again).
 */
export const pupilRecordNames: RecordNamer = {
  async namesOf(trx, actor, ids) {
    const found = await pupilNames(trx, actor, ids);
    return new Map([...found].map(([id, p]) => [id, { name: `${knownAs(p)} ${p.surname}`, href: `/pupils/${id}` }]));
  },
};
