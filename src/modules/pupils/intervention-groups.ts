import type { Tx } from '../../db/index.js';
import type { StaffActor } from '../../policy/index.js';

/**
 * Intervention groups for the assessments module: an intervention's pupils are a group of kind
 * `intervention`, owned here like every group. Called inside the caller's transaction, after the
 * caller's policy check (intervention.manage or intervention.read).
 */

/** Creates the intervention's own group (pupils are added on the group's page). */
export async function createInterventionGroup(trx: Tx, staff: StaffActor, name: string): Promise<string> {
  const [group] = await trx('groups')
    .insert({ school_id: staff.schoolId, kind: 'intervention', name: name.slice(0, 100) })
    .returning('id');
  return group.id as string;
}

export interface InterventionGroupSummary {
  name: string;
  pupil_count: number;
  /** "Surname, Forename" of the members this actor may see (row-level security decides). */
  pupils: string[];
}

/** Name, size and members' names of these groups, by group id (groups the actor cannot see are absent). */
export async function interventionGroupSummaries(
  trx: Tx,
  staff: StaffActor,
  groupIds: readonly string[],
): Promise<Map<string, InterventionGroupSummary>> {
  if (!groupIds.length) return new Map();
  const rows: (InterventionGroupSummary & { id: string })[] = await trx('groups as g')
    .where('g.school_id', staff.schoolId)
    .whereIn('g.id', [...new Set(groupIds)])
    .select(
      'g.id',
      'g.name',
      trx.raw('(select count(*)::int from group_members gm where gm.group_id = g.id) as pupil_count'),
      trx.raw(`(select coalesce(array_agg(p.surname || ', ' || coalesce(nullif(trim(p.preferred_forename), ''), p.legal_forename) order by p.surname), '{}')
                 from group_members gm join pupils p on p.id = gm.pupil_id where gm.group_id = g.id) as pupils`),
    );
  return new Map(rows.map(({ id, ...summary }) => [id, summary]));
}
