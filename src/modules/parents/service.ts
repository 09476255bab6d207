import type { Database } from '../../db/index.js';
import { type Actor, assert } from '../../policy/index.js';
import { linkedPupils } from '../pupils/index.js';
import { directory } from '../tenancy/index.js';

/**
 * The parent portal's reads. Parents owns parent_links (which pupils a parent is linked to, and
 * how); pupils gives the children as the parent scope allows, tenancy their schools' names.
 */

export interface ParentChild {
  id: string;
  preferred_forename: string | null;
  legal_forename: string;
  surname: string;
  year_group: string;
  school_name: string;
  relationship: string;
}

/** A parent's own linked children (names and school only, for now), by first name. */
export async function parentChildren(db: Database, actor: Actor): Promise<ParentChild[]> {
  assert(actor, 'parent.portal');
  const parentUserId = actor.kind === 'parent' ? actor.userId : null;
  return db.withActor(actor, async (trx) => {
    const links: { pupil_id: string; relationship: string }[] = parentUserId
      ? await trx('parent_links').where({ parent_user_id: parentUserId }).select('pupil_id', 'relationship')
      : [];
    const relationship = new Map(links.map((l) => [l.pupil_id, l.relationship]));
    const children = await linkedPupils(
      trx,
      actor,
      links.map((l) => l.pupil_id),
    );
    const schools = await directory.organisationNames(
      trx,
      children.map((c) => c.school_id),
    );
    // As an inner join would: a child whose school the parent may not see is not listed.
    return children
      .filter((c) => schools.has(c.school_id))
      .map(({ school_id, ...c }) => ({
        ...c,
        school_name: schools.get(school_id)!,
        relationship: relationship.get(c.id)!,
      }));
  });
}
