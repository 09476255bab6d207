import type { Tx } from '../../db/index.js';
import { NotFound } from '../../errors.js';
import type { StaffGroups } from '../../http/deps.js';
import { groupSchoolOrder } from './school-order.js';
import { yearGroupLabel } from './year-groups.js';

/**
 * Pupils' contribution to tenancy's staff pages and invitations: which classes and groups staff
 * work with (group_staff is pupils' table; tenancy sits below pupils and cannot call it). Each call
 * runs in the caller's transaction and under the caller's rights.
 */

/** A person with the teacher role, or with no TA role, works in a group as its teacher. */
const groupRole = (roles: readonly string[]) =>
  roles.includes('teacher') || !roles.includes('teaching_assistant') ? 'teacher' : 'teaching_assistant';

async function assertExist(trx: Tx, schoolId: string, groupIds: readonly string[]): Promise<void> {
  if (!groupIds.length) return;
  const valid = await trx('groups').where({ school_id: schoolId }).whereIn('id', groupIds).pluck('id');
  if (valid.length !== new Set(groupIds).size) throw new NotFound('group');
}

export const staffGroups: StaffGroups = {
  async options(trx, schoolId) {
    const rows: { id: string; name: string; year_group: string | null }[] = await trx('groups')
      .where({ school_id: schoolId })
      .whereNull('archived_at')
      .select('id', 'name', 'year_group')
      .orderBy('kind')
      .orderByRaw(groupSchoolOrder('groups'));
    return rows.map((g) => ({ id: g.id, label: g.name + (g.year_group ? ` (${yearGroupLabel(g.year_group)})` : '') }));
  },

  assignments(trx, schoolId, userId) {
    return trx('group_staff as gs')
      .join('groups as g', 'g.id', 'gs.group_id')
      .where('gs.school_id', schoolId)
      .modify((qb) => (userId ? qb.where('gs.user_id', userId) : qb))
      .select('gs.user_id as userId', 'g.id as groupId', 'g.name', 'gs.role')
      .orderByRaw(groupSchoolOrder());
  },

  assertExist,

  async replace(trx, schoolId, userId, groupIds, roles) {
    await trx('group_staff').where({ school_id: schoolId, user_id: userId }).del();
    if (!groupIds.length) return;
    await assertExist(trx, schoolId, groupIds);
    await trx('group_staff').insert(
      [...new Set(groupIds)].map((group_id) => ({
        school_id: schoolId,
        group_id,
        user_id: userId,
        role: groupRole(roles),
      })),
    );
  },

  async join(trx, schoolId, userId, groupIds, roles) {
    if (!groupIds.length) return;
    const groups: string[] = await trx('groups')
      .where({ school_id: schoolId })
      .whereIn('id', groupIds)
      .whereNull('archived_at')
      .pluck('id');
    if (!groups.length) return;
    await trx('group_staff')
      .insert(groups.map((group_id) => ({ school_id: schoolId, group_id, user_id: userId, role: groupRole(roles) })))
      .onConflict(['group_id', 'user_id'])
      .ignore();
  },
};
