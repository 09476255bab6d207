import type { Tx } from '../db/index.js';
import { addUser } from './organisations.js';

/** Oakfield's demo parent, linked to the first pupil in 3 Oak and the first in R Oak. */
export async function seedParents(trx: Tx, schoolId: string, hash: string, pupilsByClass: Map<string, string[]>) {
  const parent = await addUser(trx, 'parent@oakfield.test', 'Priya', 'Sharma', 'parent', hash, 'Mrs', null);
  const children = [pupilsByClass.get('3 Oak')![0]!, pupilsByClass.get('R Oak')![0]!];
  for (const pupilId of children) {
    await trx('parent_links').insert({
      school_id: schoolId,
      pupil_id: pupilId,
      parent_user_id: parent,
      relationship: 'Mother',
    });
  }
}
