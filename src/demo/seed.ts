import type { Database, Tx } from '../db/index.js';
import { type Role, systemActor } from '../policy/index.js';
import * as audit from '../modules/audit/index.js';
import type { PasswordHashing } from '../http/deps.js';
import { makeUpn } from '../modules/pupils/upn.js';
import { type YearGroup } from '../modules/pupils/year-groups.js';
import { academicYearOf } from '../modules/assessments/defaults.js';
import { seedAssessments } from './assessments.js';
import {
  contactRelationships,
  ethnicities,
  forenames,
  languages,
  pick,
  seededRandom,
  senNeeds,
  surnames,
  weighted,
} from './names.js';

export const demoPassword = 'waypoint-demo-password';

interface DemoSchool {
  key: 'oakfield' | 'riverside' | 'hillcrest';
  name: string;
  phase: 'primary' | 'secondary';
  establishment: string;
  years: YearGroup[];
  classesPerYear: number;
  classSize: number;
  classNames: string[];
}

const schools: DemoSchool[] = [
  {
    key: 'oakfield',
    name: 'Oakfield Primary School',
    phase: 'primary',
    establishment: '2000',
    years: ['R', '1', '2', '3', '4', '5', '6'],
    classesPerYear: 1,
    classSize: 30,
    classNames: ['Oak'],
  },
  {
    key: 'riverside',
    name: 'Riverside Primary School',
    phase: 'primary',
    establishment: '2001',
    years: ['R', '1', '2', '3', '4', '5', '6'],
    classesPerYear: 1,
    classSize: 28,
    classNames: ['Willow'],
  },
  {
    key: 'hillcrest',
    name: 'Hillcrest Academy',
    phase: 'secondary',
    establishment: '4000',
    years: ['7', '8', '9', '10', '11'],
    classesPerYear: 2,
    classSize: 30,
    classNames: ['H', 'C'],
  },
];

export interface DemoAccount {
  email: string;
  name: string;
  roles: string;
}

/** The latest date of birth for a year group in a given academic year (born by 31 August). */
function birthYearRange(year: YearGroup, academicYear: number): [string, string] {
  const offset = year === 'N' ? -1 : year === 'R' ? 0 : Number(year);
  const start = academicYear - 5 - offset;
  return [`${start}-09-01`, `${start + 1}-08-31`];
}

function randomDate(random: () => number, [from, to]: [string, string]): string {
  const a = Date.parse(from);
  const b = Date.parse(to);
  return new Date(a + Math.floor(random() * ((b - a) / 86400000 + 1)) * 86400000).toISOString().slice(0, 10);
}

async function addUser(
  trx: Tx,
  email: string,
  given: string,
  family: string,
  kind: 'staff' | 'parent' | 'operator',
  hash: string,
  title: string | null,
  jobTitle: string | null,
) {
  const [row] = await trx('users')
    .insert({
      email,
      given_name: given,
      family_name: family,
      kind,
      password_hash: hash,
      password_changed_at: trx.fn.now(),
      title,
      job_title: jobTitle,
    })
    .returning('id');
  return row.id as string;
}

async function addRole(trx: Tx, userId: string, orgId: string | null, role: Role) {
  await trx('memberships').insert({ user_id: userId, org_id: orgId, role });
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
    const orgIds = await (async () => {
      const existing = await trx('organisations').count<{ count: number }[]>('* as count');
      if (Number(existing[0]?.count) > 0) return null;
      const insertOrg = async (values: Record<string, unknown>) =>
        (await trx('organisations').insert(values).returning('id'))[0].id as string;
      const trust = await insertOrg({ kind: 'trust', name: 'Northstar Learning Trust' });
      const la = await insertOrg({ kind: 'local_authority', name: 'Westshire Council', la_code: '801' });
      const ids: Record<string, string> = { trust, la };
      for (const s of schools) {
        ids[s.key] = await insertOrg({
          kind: 'school',
          name: s.name,
          phase: s.phase,
          la_code: '801',
          establishment_number: s.establishment,
          trust_id: s.key === 'hillcrest' ? null : trust,
          la_id: s.key === 'hillcrest' ? la : null,
        });
        await trx('school_settings').insert({
          school_id: ids[s.key],
          share_with_trust: s.key === 'oakfield',
          share_with_la: s.key === 'hillcrest',
          dsl_name: s.key === 'oakfield' ? 'Dan Shah' : null,
          dsl_contact: s.key === 'oakfield' ? 'dsl@oakfield.test, ext. 214' : null,
        });
      }
      const op = await addUser(
        trx,
        'operator@waypoint.test',
        'Olu',
        'Operator',
        'operator',
        hash,
        null,
        'Support engineer',
      );
      await addRole(trx, op, null, 'operator_admin');
      const ta = await addUser(
        trx,
        'trust.admin@northstar.test',
        'Tara',
        'Adeyemi',
        'staff',
        hash,
        'Ms',
        'Director of Education',
      );
      await addRole(trx, ta, trust, 'trust_admin');
      const lo = await addUser(
        trx,
        'officer@westshire.test',
        'Leon',
        'Okafor',
        'staff',
        hash,
        'Mr',
        'School improvement officer',
      );
      await addRole(trx, lo, la, 'la_officer');
      await audit.record(trx, sys, { action: 'system.demo_seeded', schoolId: null, orgId: null });
      return ids;
    })();
    if (!orgIds) return false;

    const staffBySchool: Record<DemoSchool['key'], [string, string, string, string, Role[], string | null][]> = {
      oakfield: [
        ['admin@oakfield.test', 'Anita', 'Khan', 'Mrs', ['school_admin'], 'School business manager'],
        ['head@oakfield.test', 'Helen', 'Price', 'Mrs', ['head'], 'Headteacher'],
        ['dsl@oakfield.test', 'Dan', 'Shah', 'Mr', ['dsl'], 'Deputy headteacher'],
        ['senco@oakfield.test', 'Sara', 'Nowak', 'Ms', ['senco'], 'SENCo'],
        ['teacher@oakfield.test', 'Tom', 'Ellis', 'Mr', ['teacher'], 'Year 3 teacher'],
        ['ta@oakfield.test', 'Amy', 'Reid', 'Miss', ['teaching_assistant'], 'Teaching assistant'],
      ],
      riverside: [
        ['head@riverside.test', 'Ruth', 'Mensah', 'Dr', ['head', 'school_admin'], 'Headteacher'],
        ['teacher@riverside.test', 'Ravi', 'Gill', 'Mr', ['teacher'], 'Year 4 teacher'],
      ],
      hillcrest: [
        ['head@hillcrest.test', 'Hugh', 'Campbell', 'Mr', ['head', 'school_admin'], 'Principal'],
        ['teacher@hillcrest.test', 'Holly', 'Chen', 'Ms', ['teacher'], 'Teacher of English'],
      ],
    };
    const teacherClass: Record<DemoSchool['key'], string> = {
      oakfield: '3 Oak',
      riverside: '4 Willow',
      hillcrest: '8H',
    };

    for (const school of schools) {
      const schoolId = orgIds[school.key]!;
      const actor = systemActor('seed', {}, schoolId);
      await db.asSystem(
        trx,
        sys,
        async () => {
          const userIds: Record<string, string> = {};
          for (const [email, given, family, title, roles, job] of staffBySchool[school.key]) {
            userIds[email] = await addUser(trx, email, given, family, 'staff', hash, title, job);
            for (const role of roles) await addRole(trx, userIds[email]!, schoolId, role);
          }
          let serial = 0;
          const pupilsByClass = new Map<string, string[]>();
          const flagIds: Record<string, string> = {};
          for (const [name, description] of [
            ['Breakfast club', 'Attends the school breakfast club'],
            ['Clothing grant', 'Received help with uniform'],
            ['Nurture group', 'Attends the nurture group'],
          ]) {
            flagIds[name!] = (
              await trx('support_flags').insert({ school_id: schoolId, name, description }).returning('id')
            )[0].id;
          }
          for (const year of school.years) {
            for (let c = 0; c < school.classesPerYear; c++) {
              const className = `${year === 'R' ? 'R' : year}${school.phase === 'primary' ? ' ' : ''}${school.classNames[c]}`;
              const [group] = await trx('groups')
                .insert({ school_id: schoolId, kind: 'class', name: className, year_group: year })
                .returning('id');
              const rows = [];
              const extras: {
                fsm: { start_date: string; end_date: string | null }[];
                contacts: number;
                flag: string | null;
              }[] = [];
              for (let i = 0; i < school.classSize; i++) {
                const sex = random() < 0.5 ? 'F' : 'M';
                const dob = randomDate(random, birthYearRange(year, academicYear));
                const entryYear =
                  academicYear - (year === 'R' ? 0 : school.phase === 'primary' ? Number(year) : Number(year) - 7);
                serial += 1;
                const language = weighted(random, languages);
                const senRoll = random();
                const sen_status = senRoll < 0.025 ? 'E' : senRoll < 0.15 ? 'K' : 'N';
                const primary = sen_status === 'N' ? null : pick(random, senNeeds);
                const fsmStart = Math.min(academicYear, entryYear + Math.floor(random() * 2));
                const fsmEnded = random() < 0.3 && fsmStart < academicYear;
                const fsm =
                  random() < 0.24
                    ? [
                        {
                          start_date: `${fsmStart}-09-0${1 + Math.floor(random() * 8)}`,
                          end_date: fsmEnded ? `${academicYear}-07-2${Math.floor(random() * 3)}` : null,
                        },
                      ]
                    : [];
                extras.push({
                  fsm,
                  contacts: random() < 0.6 ? 2 : 1,
                  flag: random() < 0.12 ? pick(random, ['Breakfast club', 'Clothing grant', 'Nurture group']) : null,
                });
                rows.push({
                  ethnicity: weighted(random, ethnicities),
                  first_language: language,
                  eal: language !== 'English',
                  looked_after: random() < 0.012,
                  service_child: random() < 0.015,
                  sen_status,
                  sen_primary_need: primary,
                  sen_secondary_need:
                    primary && random() < 0.2
                      ? pick(
                          random,
                          senNeeds.filter((n) => n !== primary),
                        )
                      : null,
                  attendance_percent: Math.round((86 + random() * 14) * 10) / 10,
                  school_id: schoolId,
                  legal_forename: pick(random, forenames[sex]),
                  surname: pick(random, surnames),
                  date_of_birth: dob,
                  sex,
                  year_group: year,
                  upn: makeUpn('801', school.establishment, entryYear, serial),
                  mis_id: `${school.key.slice(0, 2).toUpperCase()}${String(100000 + serial)}`,
                  admission_date: `${entryYear}-09-0${school.phase === 'primary' ? 3 : 4}`,
                });
              }
              const inserted: { id: string; surname: string }[] = await trx('pupils')
                .insert(rows)
                .returning(['id', 'surname']);
              const fsmRows = [];
              const contactRows = [];
              const flagRows = [];
              for (const [i, pupil] of inserted.entries()) {
                const extra = extras[i]!;
                fsmRows.push(...extra.fsm.map((f) => ({ ...f, school_id: schoolId, pupil_id: pupil.id })));
                const carers = Array.from({ length: extra.contacts }, (_, c) => {
                  const relationship = pick(random, contactRelationships);
                  const given = pick(
                    random,
                    relationship === 'Father' || relationship === 'Grandfather' ? forenames.M : forenames.F,
                  );
                  return {
                    school_id: schoolId,
                    pupil_id: pupil.id,
                    priority: c + 1,
                    relationship,
                    name: `${given} ${c === 0 || random() < 0.7 ? pupil.surname : pick(random, surnames)}`,
                    phone: `07${String(700000000 + Math.floor(random() * 99999999)).slice(0, 9)}`,
                    email:
                      random() < 0.8
                        ? `${given.toLowerCase()}.${pupil.surname.toLowerCase().replace(/[^a-z]/g, '')}@example.com`
                        : null,
                    address:
                      c === 0
                        ? `${1 + Math.floor(random() * 120)} ${pick(random, ['Church', 'Mill', 'Station', 'Park', 'Oak'])} ${pick(random, ['Road', 'Lane', 'Street', 'Close'])}\nWestshire\nWS${1 + Math.floor(random() * 9)} ${1 + Math.floor(random() * 9)}AB`
                        : null,
                  };
                });
                contactRows.push(...carers);
                if (extra.flag)
                  flagRows.push({
                    school_id: schoolId,
                    pupil_id: pupil.id,
                    flag_id: flagIds[extra.flag],
                    start_date: `${academicYear}-09-08`,
                  });
              }
              if (fsmRows.length) await trx('pupil_fsm_periods').insert(fsmRows);
              await trx('pupil_contacts').insert(contactRows);
              if (flagRows.length) await trx('pupil_support_flags').insert(flagRows);
              await trx('group_members').insert(
                inserted.map((p: { id: string }) => ({ school_id: schoolId, group_id: group.id, pupil_id: p.id })),
              );
              pupilsByClass.set(
                className,
                inserted.map((p: { id: string }) => p.id),
              );
              if (className === teacherClass[school.key]) {
                const teacher = userIds[`teacher@${school.key}.test`]!;
                await trx('group_staff').insert({
                  school_id: schoolId,
                  group_id: group.id,
                  user_id: teacher,
                  role: 'teacher',
                });
                const ta = userIds[`ta@${school.key}.test`];
                if (ta)
                  await trx('group_staff').insert({
                    school_id: schoolId,
                    group_id: group.id,
                    user_id: ta,
                    role: 'teaching_assistant',
                  });
              }
            }
          }
          const head = userIds[`head@${school.key}.test`]!;
          await seedAssessments(
            trx,
            random,
            { id: schoolId, phase: school.phase },
            academicYear,
            head,
            today.toISOString().slice(0, 10),
          );
          if (school.key === 'oakfield')
            await seedOakfieldStories(trx, schoolId, pupilsByClass.get('3 Oak')!, userIds, academicYear);
          if (school.key === 'oakfield') {
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
          await audit.record(trx, actor, { action: 'system.demo_seeded', meta: { pupils: serial } });
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

/** A few observations, notes and interventions in 3 Oak, so the demo shows how they fit together. */
async function seedOakfieldStories(
  trx: Tx,
  schoolId: string,
  class3: string[],
  users: Record<string, string>,
  academicYear: number,
) {
  const wellbeing = await trx('frameworks').where({ school_id: schoolId, kind: 'wellbeing' }).first('id');
  const attainment = await trx('frameworks').where({ school_id: schoolId, kind: 'attainment' }).first('id');
  const item = async (frameworkId: string, name: string) =>
    (await trx('framework_items').where({ framework_id: frameworkId, name }).first('id')).id as string;
  const peers = await item(wellbeing.id, 'Relationships with peers');
  const confidence = await item(wellbeing.id, 'Self-esteem and confidence');
  const reading = await item(attainment.id, 'Reading');
  const teacher = users['teacher@oakfield.test']!;
  await trx('observations').insert([
    {
      school_id: schoolId,
      pupil_id: class3[1],
      observed_on: `${academicYear}-10-08`,
      body: 'Played alone at both breaks this week; joined in when invited to a game.',
      item_ids: [peers],
      author_id: teacher,
    },
    {
      school_id: schoolId,
      pupil_id: class3[2],
      observed_on: `${academicYear}-10-15`,
      body: 'Volunteered to read aloud for the first time this term.',
      item_ids: [confidence],
      author_id: users['ta@oakfield.test'],
    },
  ]);
  const standard = await trx('notes')
    .insert({ school_id: schoolId, pupil_id: class3[1], sensitivity: 'standard', author_id: teacher })
    .returning('id');
  await trx('note_bodies').insert({
    note_id: standard[0].id,
    school_id: schoolId,
    body: 'Spoke with mum at pick-up: settling in well after the move. Will check in again after half term.',
  });
  const restricted = await trx('notes')
    .insert({
      school_id: schoolId,
      pupil_id: class3[1],
      sensitivity: 'restricted',
      author_id: users['dsl@oakfield.test'],
    })
    .returning('id');
  await trx('note_bodies').insert({
    note_id: restricted[0].id,
    school_id: schoolId,
    body: 'Demo restricted note: visible only to the DSL, the head, the school admin and its author.',
  });

  const makeGroup = async (name: string, members: string[]) => {
    const [group] = await trx('groups').insert({ school_id: schoolId, kind: 'intervention', name }).returning('id');
    await trx('group_members').insert(
      members.map((pupil_id) => ({ school_id: schoolId, group_id: group.id, pupil_id })),
    );
    return group.id as string;
  };
  const readingGroup = await makeGroup('Year 3 reading boost', class3.slice(3, 8));
  const [boost] = await trx('interventions')
    .insert({
      school_id: schoolId,
      name: 'Year 3 reading boost',
      type: 'Small-group reading',
      lead_user_id: users['ta@oakfield.test'],
      group_id: readingGroup,
      start_date: `${academicYear}-09-15`,
      frequency: '3 × 20 minutes a week',
      status: 'running',
    })
    .returning('id');
  await trx('intervention_targets').insert({ school_id: schoolId, intervention_id: boost.id, item_id: reading });
  const friendshipGroup = await makeGroup('Friendship group', class3.slice(8, 14));
  const [friends] = await trx('interventions')
    .insert({
      school_id: schoolId,
      name: 'Friendship group',
      type: 'Nurture group',
      lead_user_id: users['senco@oakfield.test'],
      group_id: friendshipGroup,
      start_date: `${academicYear}-01-12`,
      end_date: `${academicYear}-03-27`,
      frequency: 'Weekly, 45 minutes',
      status: 'ended',
    })
    .returning('id');
  await trx('intervention_targets').insert([
    { school_id: schoolId, intervention_id: friends.id, item_id: peers },
    { school_id: schoolId, intervention_id: friends.id, item_id: confidence },
  ]);
}
