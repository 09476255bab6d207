import type { Database, Tx } from '../../db/index.js';
import { type Actor, assertStaff } from '../../policy/index.js';
import { schoolYearGroups, type YearGroup } from '../../lib/year-groups.js';
import { directory } from '../tenancy/index.js';
import { onRoll } from './queries.js';

/**
 * Classes and groups in school order, the one rule every list of groups uses: by year group as a
 * school counts them (Nursery, Reception, Year 1 … Year 13; `year_group_rank` in SQL), groups of
 * no single year after them, then by name. `g` is the groups table's alias.
 */
export const groupSchoolOrder = (g = 'g') => `year_group_rank(${g}.year_group) nulls last, ${g}.name`;

/**
 * A pupil's registration group, as the MIS import and the CSV export name it: their first current
 * class (kind `class`, not archived) in school order, or null. `p` is the pupils table's alias.
 */
export const registrationGroupOf = (p = 'p') =>
  `(select rg.name from group_members rgm join groups rg on rg.id = rgm.group_id
     where rgm.school_id = ${p}.school_id and rgm.pupil_id = ${p}.id and rg.kind = 'class' and rg.archived_at is null
     order by ${groupSchoolOrder('rg')} limit 1)`;

/** The year groups this school has: those of its phase, and any its pupils on roll or its classes are in. */
export async function yearGroupsOfSchool(trx: Tx, schoolId: string): Promise<YearGroup[]> {
  const phase = await directory.schoolPhase(trx, schoolId);
  const { rows } = await trx.raw<{ rows: { year_group: string }[] }>(
    `select p.year_group from pupils p where p.school_id = ? and ${onRoll}
     union select g.year_group from groups g where g.school_id = ? and g.archived_at is null and g.year_group is not null`,
    [schoolId, schoolId],
  );
  return schoolYearGroups(
    phase,
    rows.map((r) => r.year_group),
  );
}

/** The year groups to offer in this member of staff's school's filters and forms. */
export async function yearGroupChoices(db: Database, actor: Actor): Promise<YearGroup[]> {
  const staff = assertStaff(actor, 'group.read');
  return db.withActor(staff, (trx) => yearGroupsOfSchool(trx, staff.schoolId));
}
