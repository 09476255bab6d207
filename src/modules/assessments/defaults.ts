import type { Tx } from '../../db/index.js';

/**
 * Waypoint's own default frameworks. Proprietary questionnaires (SDQ, Boxall Profile) may not be
 * reproduced electronically without a licence, so the wellbeing framework is our own eight domains.
 */
export const defaultWellbeing = {
  kind: 'wellbeing' as const,
  name: 'Wellbeing',
  description: 'Waypoint’s eight wellbeing domains, each scored 1 (significant concern) to 5 (thriving).',
  items: [
    'Emotional wellbeing',
    'Self-esteem and confidence',
    'Relationships with peers',
    'Relationships with adults',
    'Self-regulation',
    'Resilience and coping',
    'Engagement with learning',
    'Physical wellbeing and feeling safe',
  ],
  safetyItem: 'Physical wellbeing and feeling safe',
  levels: [
    {
      value: 1,
      label: 'Significant concern',
      short_label: '1',
      descriptor: 'Struggling most of the time; needs support now.',
    },
    {
      value: 2,
      label: 'Some concern',
      short_label: '2',
      descriptor: 'Often finds this hard; would benefit from extra support.',
    },
    { value: 3, label: 'Developing', short_label: '3', descriptor: 'Getting there, with ups and downs.' },
    { value: 4, label: 'Secure', short_label: '4', descriptor: 'Usually fine; copes with everyday challenges.' },
    { value: 5, label: 'Thriving', short_label: '5', descriptor: 'Doing really well; a strength for this pupil.' },
  ],
};

const primaryLevels = [
  {
    value: 1,
    label: 'Pre-key stage',
    short_label: 'PKS',
    descriptor: 'Working below the key stage standards.',
    meets_expected: false,
  },
  {
    value: 2,
    label: 'Working towards',
    short_label: 'WTS',
    descriptor: 'Working towards the expected standard.',
    meets_expected: false,
  },
  {
    value: 3,
    label: 'Expected',
    short_label: 'EXS',
    descriptor: 'Working at the expected standard.',
    meets_expected: true,
  },
  {
    value: 4,
    label: 'Greater depth',
    short_label: 'GDS',
    descriptor: 'Working at greater depth within the expected standard.',
    meets_expected: true,
  },
];

export const defaultAttainment = {
  kind: 'attainment' as const,
  name: 'Attainment (primary)',
  description: 'Termly teacher assessment in reading, writing and maths.',
  items: ['Reading', 'Writing', 'Maths'],
  levels: primaryLevels,
};

export const defaultEndOfKeyStage = {
  kind: 'end_of_key_stage' as const,
  name: 'End of key stage 2',
  description: 'End-of-key-stage results, recorded once, in the summer term of Year 6.',
  items: ['Reading', 'Writing', 'Maths', 'Science'],
  levels: primaryLevels,
};

export const termNames = ['Autumn', 'Spring', 'Summer'] as const;
export type TermName = (typeof termNames)[number];

/** Easter Sunday of a year (the Gregorian computus), as YYYY-MM-DD. */
export function easterSunday(year: number): string {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const h = (19 * a + b - Math.floor(b / 4) - Math.floor((b - Math.floor((b + 8) / 25) + 1) / 3) + 15) % 30;
  const l = (32 + 2 * (b % 4) + 2 * Math.floor(c / 4) - h - (c % 4)) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

const addDays = (iso: string, days: number) =>
  new Date(Date.parse(`${iso}T12:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/**
 * Default term dates for an academic year, shaped like an English school year: Autumn from
 * September to the Christmas holiday, Spring from January to Easter (it ends on Easter Monday, in
 * the Easter holiday, wherever Easter falls), Summer from then to the end of August. The terms
 * meet, so every day (holidays too) is in a term and a score recorded on it has one. Schools
 * change them to their own calendar.
 */
export function defaultTermDates(
  academicYear: number,
): { name: TermName; starts_on: string; ends_on: string; sequence: number }[] {
  const easterMonday = addDays(easterSunday(academicYear + 1), 1);
  return [
    {
      name: 'Autumn',
      starts_on: `${academicYear}-09-01`,
      ends_on: `${academicYear}-12-31`,
      sequence: academicYear * 3,
    },
    {
      name: 'Spring',
      starts_on: `${academicYear + 1}-01-01`,
      ends_on: easterMonday,
      sequence: academicYear * 3 + 1,
    },
    {
      name: 'Summer',
      starts_on: addDays(easterMonday, 1),
      ends_on: `${academicYear + 1}-08-31`,
      sequence: academicYear * 3 + 2,
    },
  ];
}

/** The academic year (by its September) that a date falls in. */
export function academicYearOf(date: Date | string): number {
  const d = typeof date === 'string' ? new Date(`${date}T12:00:00Z`) : date;
  return d.getUTCMonth() >= 8 ? d.getUTCFullYear() : d.getUTCFullYear() - 1;
}

type FrameworkDefinition = typeof defaultWellbeing | typeof defaultAttainment | typeof defaultEndOfKeyStage;

async function insertFramework(trx: Tx, schoolId: string, def: FrameworkDefinition): Promise<string> {
  const [fw] = await trx('frameworks')
    .insert({ school_id: schoolId, kind: def.kind, name: def.name, description: def.description })
    .returning('id');
  await trx('framework_items').insert(
    def.items.map((name, position) => ({
      school_id: schoolId,
      framework_id: fw.id,
      name,
      position,
      is_safety_domain: 'safetyItem' in def && def.safetyItem === name,
    })),
  );
  await trx('framework_levels').insert(
    def.levels.map((l) => ({ school_id: schoolId, framework_id: fw.id, meets_expected: false, ...l })),
  );
  return fw.id as string;
}

/** Gives a new school the default frameworks and this year's terms. Runs as the system actor for that school. */
export async function insertSchoolDefaults(
  trx: Tx,
  schoolId: string,
  academicYear: number,
  phase: string | null,
): Promise<void> {
  await insertFramework(trx, schoolId, defaultWellbeing);
  if (phase !== 'secondary') {
    await insertFramework(trx, schoolId, defaultAttainment);
    await insertFramework(trx, schoolId, defaultEndOfKeyStage);
  }
  await insertTerms(trx, schoolId, academicYear);
}

export async function insertTerms(trx: Tx, schoolId: string, academicYear: number): Promise<void> {
  await trx('terms')
    .insert(defaultTermDates(academicYear).map((t) => ({ ...t, school_id: schoolId, academic_year: academicYear })))
    .onConflict(['school_id', 'academic_year', 'name'])
    .ignore();
}
