import type { Knex } from 'knex';
import type { PupilScope } from '../../policy/index.js';
import { directory } from '../tenancy/index.js';

/** Facts the scope needs that other modules own, passed in by them (parents sits above pupils). */
export interface ScopeFacts {
  /** For a parent: the pupils linked to them in the parents module's parent_links. */
  parentPupilIds?: readonly string[];
}

/**
 * Applies the policy's pupil scope to a query over `pupils as <alias>`. Row-level security
 * applies the same rule again in the database; this copy keeps queries honest and fast.
 */
export function applyPupilScope(
  qb: Knex.QueryBuilder,
  scope: PupilScope,
  alias = 'p',
  facts: ScopeFacts = {},
): Knex.QueryBuilder {
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
      // Schools sharing with this trust or LA now (tenancy's settings), in the same query.
      return qb.whereNull(col('restricted_at')).whereIn(col('school_id'), function () {
        directory.selectSchoolsSharingWith(this, scope.via, scope.orgId);
      });
    case 'parent':
      // Without the parents module's links, a parent sees no pupil.
      return qb.whereIn(col('id'), [...(facts.parentPupilIds ?? [])]);
    case 'none':
      return qb.whereRaw('false');
  }
}
