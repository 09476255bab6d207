import type { Database } from '../../db/index.js';
import { type Actor, assert, PolicyDenied } from '../../policy/index.js';
import { NotFound } from '../../errors.js';
import * as audit from '../audit/index.js';
import { pupilCountsBySchool, type PupilListItem, pupilsOfSchool } from '../pupils/index.js';
import { directory, type SchoolSharing } from '../tenancy/index.js';

/**
 * What a trust or local authority sees of its schools (P2, P3): the list with each school's
 * sharing setting, and the pupil-level data of a school only while that setting is on, read-only,
 * never its restricted pupils (P29). Schools and settings are tenancy's; pupils are pupils'.
 */

export interface SharedSchool extends SchoolSharing {
  /** Pupils on roll, shown only for a school that shares. */
  pupils: number | null;
}

function viaOf(actor: Actor, action: 'trust.overview' | 'pupil.list') {
  if (actor.kind !== 'trust' && actor.kind !== 'la') throw new PolicyDenied(action);
  return { via: actor.kind, orgId: actor.orgId } as const;
}

/** A trust's or LA's schools, with whether each shares pupil-level data (P2, P3). */
export async function sharedSchools(db: Database, actor: Actor): Promise<SharedSchool[]> {
  assert(actor, 'trust.overview');
  const { via, orgId } = viaOf(actor, 'trust.overview');
  return db.withActor(actor, async (trx) => {
    const schools = await directory.schoolsOf(trx, via, orgId);
    const counts = await pupilCountsBySchool(trx, actor);
    return schools.map((s) => ({ ...s, pupils: s.shared ? (counts.get(s.id) ?? 0) : null }));
  });
}

/**
 * Pupil-level data of one school for a trust or LA user: only while that school's sharing
 * setting is on (checked on every request, P2), never its restricted pupils (P29), read-only.
 */
export async function sharedSchoolPupils(
  db: Database,
  actor: Actor,
  schoolId: string,
): Promise<{ school: SharedSchool; pupils: PupilListItem[] }> {
  assert(actor, 'pupil.list');
  viaOf(actor, 'pupil.list');
  const school = (await sharedSchools(db, actor)).find((s) => s.id === schoolId);
  if (!school) throw new NotFound('school');
  assert(actor, 'pupil.list', { sharesWithActor: school.shared });
  return db.withActor(actor, async (trx) => {
    const pupils = await pupilsOfSchool(trx, actor, schoolId);
    await audit.recordRead(trx, actor, {
      action: 'trust.school_viewed',
      schoolId,
      entityType: 'school',
      entityId: schoolId,
      meta: { pupils: pupils.length },
    });
    return { school, pupils };
  });
}
