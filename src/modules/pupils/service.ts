import { type Database, prepared, type Tx } from '../../db/index.js';
import { type Actor, assert, assertStaff, can, PolicyDenied, pupilScope, type StaffActor } from '../../policy/index.js';
import { NotFound } from '../../errors.js';
import * as audit from '../audit/index.js';
import { applyPupilScope } from './scope.js';
import { onRoll, type PupilListItem } from './queries.js';
import { yearGroups } from '../../lib/year-groups.js';

export interface GroupSummary {
  id: string;
  name: string;
  kind: 'class' | 'set' | 'intervention';
  year_group: string | null;
  pupils: number;
  staff: string[];
}

const pupilColumns = [
  'p.id',
  'p.legal_forename',
  'p.preferred_forename',
  'p.surname',
  'p.year_group',
  'p.date_of_birth',
  'p.upn',
];

/**
 * The groups on a member of staff's home page: the ones they are assigned to, or (for leaders
 * who see the whole school) every current group.
 */
export async function homeGroups(
  db: Database,
  actor: Actor,
): Promise<{ groups: GroupSummary[]; wholeSchool: boolean }> {
  const staff = assertStaff(actor, 'group.read');
  const wholeSchool = pupilScope(staff).kind === 'school';
  const groups: GroupSummary[] = await db.withActor(staff, (trx) =>
    trx('groups as g')
      .where('g.school_id', staff.schoolId)
      .whereNull('g.archived_at')
      .modify((qb) => {
        if (!wholeSchool)
          qb.whereExists(
            trx('group_staff as gs').whereRaw('?? = ??', ['gs.group_id', 'g.id']).where('gs.user_id', staff.userId),
          );
      })
      .select(
        'g.id',
        'g.name',
        'g.kind',
        'g.year_group',
        trx.raw('(select count(*)::int from group_members gm where gm.group_id = g.id) as pupils'),
        trx.raw(`coalesce((select array_agg(u.given_name || ' ' || u.family_name order by gs.role, u.family_name)
                   from group_staff gs join users u on u.id = gs.user_id where gs.group_id = g.id), '{}') as staff`),
      )
      .orderBy('g.kind')
      .orderByRaw('array_position(?::text[], g.year_group) nulls last', [yearGroups as unknown as string[]])
      .orderBy('g.name'),
  );
  return { groups, wholeSchool };
}

/**
 * A class or group with its pupils (on roll), as far as this member of staff may see them, inside
 * the caller's transaction. Teachers and TAs may open only groups they are assigned to.
 * Other modules (assessments) build on this.
 */
export async function loadGroupForStaff(trx: Tx, staff: StaffActor, groupId: string) {
  assertStaff(staff, 'group.read');
  // The group, who works with it and its pupils on roll, in one round trip: the class page is the
  // busiest page. No extra pupil scope is needed: whole-school roles see every pupil, and anyone
  // else must be assigned to this group, and it must be current (checked below), which makes all
  // its members theirs.
  const { rows } = await prepared<GroupRow & { staff: GroupStaff[]; pupils: GroupPupil[] }>(
    trx,
    'group-with-staff-and-pupils',
    `select g.*,
            coalesce((select json_agg(json_build_object('user_id', gs.user_id, 'given_name', u.given_name, 'family_name', u.family_name, 'role', gs.role) order by gs.role)
                        from group_staff gs join users u on u.id = gs.user_id where gs.school_id = g.school_id and gs.group_id = g.id), '[]') as staff,
            coalesce((select json_agg(json_build_object('id', p.id, 'legal_forename', p.legal_forename, 'preferred_forename', p.preferred_forename,
                               'surname', p.surname, 'year_group', p.year_group, 'date_of_birth', p.date_of_birth, 'upn', p.upn,
                               'restricted_at', p.restricted_at) order by p.surname, p.legal_forename)
                        from group_members gm join pupils p on p.id = gm.pupil_id
                       where gm.school_id = g.school_id and gm.group_id = g.id and p.school_id = g.school_id and ${onRoll}), '[]') as pupils
       from groups g where g.id = ? and g.school_id = ?`,
    [groupId, staff.schoolId],
  );
  const found = rows[0];
  if (!found) throw new NotFound('class or group');
  const { staff: staffNames, pupils, ...group } = found;
  assert(staff, 'group.read', {
    group: { archived: !!group.archived_at, staffIds: staffNames.map((s) => s.user_id) },
  });
  return { group, pupils, staff: staffNames };
}

interface GroupRow {
  id: string;
  school_id: string;
  name: string;
  kind: string;
  year_group: string | null;
  archived_at: Date | null;
  version: number;
}

/** A pupil as the group pages show them; `restricted_at` is an ISO time or null. */
export type GroupPupil = PupilListItem & { restricted_at: string | null };

export interface GroupStaff {
  user_id: string;
  given_name: string;
  family_name: string;
  role: string;
}

/** The members of any group of the school that this member of staff may see (no assignment needed). */
export async function visibleGroupMembers(trx: Tx, staff: StaffActor, groupId: string): Promise<PupilListItem[]> {
  assertStaff(staff, 'pupil.list');
  return applyPupilScope(
    trx('pupils as p').join('group_members as gm', 'gm.pupil_id', 'p.id').where('gm.group_id', groupId),
    pupilScope(staff),
  )
    .select(pupilColumns)
    .orderBy(['p.surname', 'p.legal_forename']);
}

/** The groups a pupil belongs to (for other modules, e.g. interventions). */
export async function groupIdsOf(trx: Tx, staff: StaffActor, pupilId: string): Promise<string[]> {
  assertStaff(staff, 'pupil.read');
  return trx('group_members').where({ school_id: staff.schoolId, pupil_id: pupilId }).pluck('group_id');
}

/** One pupil as this member of staff may see them (404 otherwise), inside the caller's transaction. */
export async function loadPupilForStaff(trx: Tx, staff: StaffActor, pupilId: string) {
  assertStaff(staff, 'pupil.read');
  const pupil = (await applyPupilScope(trx('pupils as p').where('p.id', pupilId), pupilScope(staff)).first([
    ...pupilColumns,
    'p.restricted_at',
    'p.sen_status',
    'p.leaving_date',
  ])) as (PupilListItem & { restricted_at: Date | null; sen_status: string; leaving_date: string | null }) | undefined;
  if (!pupil) throw new NotFound('pupil');
  return pupil;
}

/** A class or group with its pupils, as far as this member of staff may see them. Audited. */
export async function groupWithPupils(db: Database, actor: Actor, groupId: string) {
  const staff = assertStaff(actor, 'group.read');
  return db.withActor(staff, async (trx) => {
    const data = await loadGroupForStaff(trx, staff, groupId);
    await audit.record(trx, staff, {
      action: 'group.viewed',
      entityType: 'group',
      entityId: groupId,
      meta: { pupils: data.pupils.length },
    });
    return data;
  });
}

export interface SharedSchool {
  id: string;
  name: string;
  phase: string | null;
  shared: boolean;
  pupils: number | null;
}

/** A trust's or LA's schools, with whether each shares pupil-level data (P2, P3). */
export async function sharedSchools(db: Database, actor: Actor): Promise<SharedSchool[]> {
  assert(actor, 'trust.overview');
  if (actor.kind !== 'trust' && actor.kind !== 'la') throw new PolicyDenied('trust.overview');
  const via = actor.kind === 'trust' ? 'trust' : 'la';
  return db.withActor(actor, async (trx) => {
    const schools = await trx('organisations as o')
      .join('school_settings as s', 's.school_id', 'o.id')
      .where(via === 'trust' ? 'o.trust_id' : 'o.la_id', actor.orgId)
      .select(
        'o.id',
        'o.name',
        'o.phase',
        trx.raw(`${via === 'trust' ? 's.share_with_trust' : 's.share_with_la'} as shared`),
      )
      .orderBy('o.name');
    const counts = await applyPupilScope(trx('pupils as p'), pupilScope(actor))
      .whereNull('p.leaving_date')
      .groupBy('p.school_id')
      .select('p.school_id', trx.raw('count(*)::int as n'));
    const bySchool = new Map<string, number>(counts.map((c: { school_id: string; n: number }) => [c.school_id, c.n]));
    return schools.map((s: Omit<SharedSchool, 'pupils'>) => ({
      ...s,
      pupils: s.shared ? (bySchool.get(s.id) ?? 0) : null,
    }));
  });
}

/**
 * Pupil-level data of one school for a trust or LA user: only while that school's sharing
 * setting is on (checked on every request, P2), never its restricted pupils (P29), read-only.
 */
export async function sharedSchoolPupils(db: Database, actor: Actor, schoolId: string) {
  assert(actor, 'pupil.list');
  if (actor.kind !== 'trust' && actor.kind !== 'la') throw new PolicyDenied('pupil.list');
  const school = (await sharedSchools(db, actor)).find((s) => s.id === schoolId);
  if (!school) throw new NotFound('school');
  if (!school.shared) throw new PolicyDenied('pupil.list', 'school does not share with this organisation');
  return db.withActor(actor, async (trx) => {
    const pupils: PupilListItem[] = await applyPupilScope(trx('pupils as p'), pupilScope(actor))
      .where('p.school_id', schoolId)
      .whereNull('p.leaving_date')
      .select(pupilColumns)
      .orderBy(['p.year_group', 'p.surname', 'p.legal_forename']);
    await audit.record(trx, actor, {
      action: 'trust.school_viewed',
      schoolId,
      entityType: 'school',
      entityId: schoolId,
      meta: { pupils: pupils.length },
    });
    return { school, pupils };
  });
}

/** A parent's own linked children (names and school only; the portal comes with the parents module). */
export async function parentChildren(db: Database, actor: Actor) {
  assert(actor, 'parent.portal');
  return db.withActor(actor, (trx) =>
    applyPupilScope(trx('pupils as p'), pupilScope(actor))
      .join('organisations as o', 'o.id', 'p.school_id')
      .join('parent_links as pl', function () {
        this.on('pl.pupil_id', 'p.id').andOn(
          'pl.parent_user_id',
          trx.raw('?', [actor.kind === 'parent' ? actor.userId : null]),
        );
      })
      .select(
        'p.id',
        'p.preferred_forename',
        'p.legal_forename',
        'p.surname',
        'p.year_group',
        'o.name as school_name',
        'pl.relationship',
      )
      .orderBy('p.legal_forename'),
  );
}

export const canSeeWholeSchool = (actor: Actor) => can(actor, 'pupil.create');

/** Free school meal rules in SQL, for other modules' aggregates (e.g. the dashboard). */
export { fsmEligibleInLastSixYears, fsmEligibleNow, type PupilListItem } from './queries.js';
