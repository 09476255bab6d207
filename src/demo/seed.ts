import type { Database } from '../db/index.js';
import { systemActor } from '../policy/index.js';
import * as audit from '../modules/audit/index.js';
import type { PasswordHashing } from '../http/deps.js';
import { academicYearOf } from '../modules/assessments/defaults.js';
import { seedAssessments } from './assessments.js';
import { seededRandom } from './names.js';
import { seedOrganisations, seedStaff } from './organisations.js';
import { seedParents } from './parents.js';
import { seedPupils } from './pupils.js';
import { schools } from './schools.js';
import { seedOakfieldStories } from './stories.js';

export const demoPassword = 'waypoint-demo-password';

export interface DemoAccount {
  email: string;
  name: string;
  roles: string;
}

/**
 * Seeds the demo organisations, accounts and pupils into an empty database, through the runtime
 * role and row-level security like any other write. Deterministic: the same names, dates and UPNs
 * every time (for the same academic year). Returns false when the database already has data.
 */
export async function seedDemo(db: Database, hasher: PasswordHashing, today = new Date()): Promise<boolean> {
  const sys = systemActor('seed');
  const academicYear = academicYearOf(today);
  const random = seededRandom(20260901);
  const hash = await hasher.hash(demoPassword);

  // One transaction: an interrupted first start leaves no half-seeded demo behind.
  return db.withActor(sys, async (trx) => {
    const orgIds = await seedOrganisations(trx, sys, hash);
    if (!orgIds) return false;

    for (const school of schools) {
      const schoolId = orgIds[school.key]!;
      const actor = systemActor('seed', {}, schoolId);
      await db.asSystem(
        trx,
        sys,
        async () => {
          const userIds = await seedStaff(trx, school, schoolId, hash);
          const { pupilsByClass, pupils } = await seedPupils(trx, random, school, schoolId, academicYear, userIds);
          const head = userIds[`head@${school.key}.test`]!;
          await seedAssessments(
            trx,
            random,
            { id: schoolId, phase: school.phase },
            academicYear,
            head,
            today.toISOString().slice(0, 10),
          );
          if (school.key === 'oakfield') {
            await seedOakfieldStories(trx, schoolId, pupilsByClass.get('3 Oak')!, userIds, academicYear);
            await seedParents(trx, schoolId, hash, pupilsByClass);
          }
          await audit.record(trx, actor, { action: 'system.demo_seeded', meta: { pupils } });
        },
        schoolId,
      );
    }
    return true;
  });
}

export async function demoAccounts(db: Database): Promise<DemoAccount[]> {
  return db.withActor(systemActor('seed'), async (trx) => {
    const rows = await trx('users as u')
      .leftJoin('memberships as m', 'm.user_id', 'u.id')
      .leftJoin('organisations as o', 'o.id', 'm.org_id')
      .where('u.email', 'like', '%.test')
      .groupBy('u.id')
      .select(
        'u.email',
        trx.raw(`u.given_name || ' ' || u.family_name as name`),
        trx.raw(
          `coalesce(string_agg(m.role || coalesce(' at ' || o.name, ''), ', ' order by m.role), u.kind) as roles`,
        ),
      )
      .orderBy('u.email');
    return rows as DemoAccount[];
  });
}
