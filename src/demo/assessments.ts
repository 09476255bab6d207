import type { Tx } from '../db/index.js';
import { insertSchoolDefaults, insertTerms } from '../modules/assessments/defaults.js';

/**
 * Demo assessment history for one school: the default frameworks, last year's and this year's
 * terms, and termly wellbeing and attainment scores that drift believably (some pupils struggling,
 * a few falling), so the class pages, charts and dashboard have something to show.
 */
export async function seedAssessments(
  trx: Tx,
  random: () => number,
  school: { id: string; phase: string },
  academicYear: number,
  recordedBy: string,
  today: string,
) {
  await insertSchoolDefaults(trx, school.id, academicYear, school.phase);
  await insertTerms(trx, school.id, academicYear - 1);
  const terms: { id: string; sequence: number; starts_on: string; ends_on: string }[] = await trx('terms')
    .where({ school_id: school.id })
    .where('starts_on', '<=', today)
    .orderBy('sequence');
  const frameworks = await trx('frameworks')
    .where({ school_id: school.id })
    .whereIn('kind', ['wellbeing', 'attainment']);
  const items = await trx('framework_items')
    .whereIn(
      'framework_id',
      frameworks.map((f: { id: string }) => f.id),
    )
    .orderBy('position');
  const levels = await trx('framework_levels').whereIn(
    'framework_id',
    frameworks.map((f: { id: string }) => f.id),
  );
  const pupils: { id: string; year_group: string }[] = await trx('pupils')
    .where({ school_id: school.id })
    .select('id', 'year_group')
    .orderBy('mis_id');
  const levelOf = (frameworkId: string, value: number) =>
    levels.find((l: { framework_id: string; value: number }) => l.framework_id === frameworkId && l.value === value)!;

  const rows = [];
  for (const pupil of pupils) {
    const wellbeingBase = 1.6 + random() * 3.6;
    const ability = random();
    const trend = random() < 0.12 ? -0.45 : random() < 0.3 ? 0.25 : 0;
    for (const [t, term] of terms.entries()) {
      const assessedOn = addDays(term.starts_on, 35 + Math.floor(random() * 20));
      if (assessedOn > today) continue;
      for (const fw of frameworks) {
        for (const item of items.filter((i: { framework_id: string }) => i.framework_id === fw.id)) {
          let value: number;
          if (fw.kind === 'wellbeing')
            value = clamp(Math.round(wellbeingBase + trend * t + (random() - 0.5) * 1.4), 1, 5);
          else {
            if (pupil.year_group === 'R') continue;
            const roll = ability + (random() - 0.5) * 0.3 + t * 0.02;
            value = roll < 0.06 ? 1 : roll < 0.32 ? 2 : roll < 0.84 ? 3 : 4;
          }
          const level = levelOf(fw.id, value);
          rows.push({
            school_id: school.id,
            pupil_id: pupil.id,
            framework_id: fw.id,
            item_id: item.id,
            term_id: term.id,
            level_id: level.id,
            value,
            assessed_on: assessedOn,
            recorded_by: recordedBy,
          });
        }
      }
    }
  }
  for (let i = 0; i < rows.length; i += 1000) await trx('assessment_scores').insert(rows.slice(i, i + 1000));
  return rows.length;
}

function addDays(iso: string, days: number): string {
  return new Date(Date.parse(`${iso}T12:00:00Z`) + days * 86400000).toISOString().slice(0, 10);
}

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));
