import type { Knex } from 'knex';
import type { PupilScope } from '../../policy/index.js';

/**
 * Applies the policy's pupil scope to a query over `pupils as <alias>`. Row-level security
 * applies the same rule again in the database; this copy keeps queries honest and fast.
 */
export function applyPupilScope(qb: Knex.QueryBuilder, scope: PupilScope, alias = 'p'): Knex.QueryBuilder {
  const col = (c: string) => `${alias}.${c}`;
  switch (scope.kind) {
    case 'school':
      return qb.where(col('school_id'), scope.schoolId);
    case 'taught':
      return qb.where(col('school_id'), scope.schoolId).whereExists(function () {
        // Groups they work with now: an archived group no longer gives access.
        this.select(1)
          .from('group_members as scope_gm')
          .join('group_staff as scope_gs', 'scope_gs.group_id', 'scope_gm.group_id')
          .join('groups as scope_g', 'scope_g.id', 'scope_gm.group_id')
          .whereRaw('?? = ??', ['scope_gm.pupil_id', col('id')])
          .where('scope_gs.user_id', scope.userId)
          .whereNull('scope_g.archived_at');
      });
    case 'shared':
      return qb.whereNull(col('restricted_at')).whereIn(col('school_id'), function () {
        this.select('s.school_id')
          .from('school_settings as s')
          .join('organisations as o', 'o.id', 's.school_id')
          .where(scope.via === 'trust' ? 'o.trust_id' : 'o.la_id', scope.orgId)
          .where(scope.via === 'trust' ? 's.share_with_trust' : 's.share_with_la', true);
      });
    case 'parent':
      return qb.whereIn(col('id'), function () {
        this.select('pupil_id').from('parent_links').where('parent_user_id', scope.userId);
      });
    case 'none':
      return qb.whereRaw('false');
  }
}
