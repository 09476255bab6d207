import type { Tx } from '../db/index.js';
import type { YearGroup } from '../lib/year-groups.js';
import { makeUpn } from '../modules/pupils/upn.js';
import {
  contactRelationships,
  ethnicities,
  forenames,
  languages,
  pick,
  senNeeds,
  surnames,
  weighted,
} from './names.js';
import { type DemoSchool, supportFlags, teacherClass } from './schools.js';

/**
 * One school's pupils: its support flags, then for each class its pupils with their FSM periods, contacts
 * and flags, the class membership, and the teacher (and TA) of the school's teacher class. Every value comes
 * from `random` in a fixed order, so the same seed gives the same pupils.
 */

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

export async function seedPupils(
  trx: Tx,
  random: () => number,
  school: DemoSchool,
  schoolId: string,
  academicYear: number,
  userIds: Record<string, string>,
): Promise<{ pupilsByClass: Map<string, string[]>; pupils: number }> {
  let serial = 0;
  const pupilsByClass = new Map<string, string[]>();
  const flagIds: Record<string, string> = {};
  for (const [name, description] of supportFlags) {
    flagIds[name] = (
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
      const inserted: { id: string; surname: string }[] = await trx('pupils').insert(rows).returning(['id', 'surname']);
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
  return { pupilsByClass, pupils: serial };
}
