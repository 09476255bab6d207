import { type Database, prepared, type Tx } from '../../db/index.js';
import { type Actor, assertStaff, type SchoolRole, type StaffActor } from '../../policy/index.js';
import { lockFresh } from '../../db/versioned.js';
import { NotFound } from '../../errors.js';
import { FieldError } from '../../errors.js';
import * as audit from '../audit/index.js';
import { academicYearOf, insertSchoolDefaults, insertTerms } from './defaults.js';

export interface Level {
  id: string;
  value: number;
  label: string;
  short_label: string;
  descriptor: string | null;
  meets_expected: boolean;
}

export interface Item {
  id: string;
  name: string;
  position: number;
  is_safety_domain: boolean;
  archived_at: Date | null;
}

export interface Framework {
  id: string;
  kind: 'wellbeing' | 'attainment' | 'end_of_key_stage';
  name: string;
  description: string | null;
  recorded_by: SchoolRole[];
  archived_at: Date | null;
  version: number;
  items: Item[];
  levels: Level[];
}

export interface Term {
  id: string;
  academic_year: number;
  name: 'Autumn' | 'Spring' | 'Summer';
  sequence: number;
  starts_on: string;
  ends_on: string;
}

export const kindLabels = {
  wellbeing: 'Wellbeing',
  attainment: 'Attainment',
  end_of_key_stage: 'End of key stage',
} as const;

/** Frameworks with their items and levels, read inside the caller's transaction (one query). */
export async function loadFrameworks(
  trx: Tx,
  schoolId: string,
  opts: { includeArchived?: boolean } = {},
): Promise<Framework[]> {
  const { rows } = await prepared<Framework>(
    trx,
    'frameworks-of-school',
    `select f.id, f.kind, f.name, f.description, f.recorded_by, f.archived_at, f.version,
            coalesce((select json_agg(json_build_object('id', i.id, 'name', i.name, 'position', i.position,
                        'is_safety_domain', i.is_safety_domain, 'archived_at', i.archived_at) order by i.position)
                        from framework_items i where i.school_id = f.school_id and i.framework_id = f.id and (? or i.archived_at is null)), '[]') as items,
            coalesce((select json_agg(json_build_object('id', l.id, 'value', l.value, 'label', l.label, 'short_label', l.short_label,
                        'descriptor', l.descriptor, 'meets_expected', l.meets_expected) order by l.value)
                        from framework_levels l where l.school_id = f.school_id and l.framework_id = f.id), '[]') as levels
       from frameworks f
      where f.school_id = ? and (? or f.archived_at is null)
      order by array_position(array['wellbeing','attainment','end_of_key_stage'], f.kind), f.created_at, f.name`,
    [!!opts.includeArchived, schoolId, !!opts.includeArchived],
  );
  return rows;
}

export async function loadTerms(trx: Tx, schoolId: string): Promise<Term[]> {
  const { rows } = await prepared<Term>(
    trx,
    'terms-of-school',
    'select id, academic_year, name, sequence, starts_on, ends_on from terms where school_id = ? order by sequence',
    [schoolId],
  );
  return rows;
}

/**
 * The school's terms, making sure this academic year's exist (they are school set-up data, made
 * by the system actor the first time anyone needs them).
 */
export async function termsWithCurrent(db: Database, trx: Tx, staff: StaffActor, today = new Date()): Promise<Term[]> {
  let terms = await loadTerms(trx, staff.schoolId);
  const year = academicYearOf(today);
  if (!terms.some((t) => t.academic_year === year)) {
    await db.asSystem(trx, staff, () => insertTerms(trx, staff.schoolId, year), staff.schoolId);
    terms = await loadTerms(trx, staff.schoolId);
  }
  return terms;
}

/** The term a date falls in, or else the latest term that has started. */
export function termFor(terms: Term[], date: string): Term | undefined {
  return (
    terms.find((t) => t.starts_on <= date && date <= t.ends_on) ??
    [...terms].reverse().find((t) => t.starts_on <= date) ??
    terms[0]
  );
}

export const termLabel = (t: Pick<Term, 'name' | 'academic_year'>) =>
  `${t.name} ${t.academic_year + Number(t.name !== 'Autumn')}`; // By calendar year: only Autumn is in academic_year.

export async function listFrameworks(db: Database, actor: Actor, includeArchived = false) {
  const staff = assertStaff(actor, 'assessment.read');
  return db.withActor(staff, (trx) => loadFrameworks(trx, staff.schoolId, { includeArchived }));
}

/** Sets up a new school: the default frameworks and this year's terms. */
export async function provisionSchool(
  trx: Tx,
  schoolId: string,
  phase: string | null,
  today = new Date(),
): Promise<void> {
  await insertSchoolDefaults(trx, schoolId, academicYearOf(today), phase);
}

// Editing frameworks (school admin) -----------------------------------------------------------------

export interface NewFramework {
  kind: Framework['kind'];
  name: string;
  description: string | null;
  recorded_by: SchoolRole[];
  items: string[];
  levels: Omit<Level, 'id'>[];
}

export function assertMayManage(actor: Actor): void {
  assertStaff(actor, 'framework.manage');
}

export async function createFramework(db: Database, actor: Actor, input: NewFramework): Promise<string> {
  const staff = assertStaff(actor, 'framework.manage');
  return db.withActor(staff, async (trx) => {
    const [fw] = await trx('frameworks')
      .insert({
        school_id: staff.schoolId,
        kind: input.kind,
        name: input.name,
        description: input.description,
        recorded_by: input.recorded_by,
      })
      .returning('id');
    await trx('framework_items').insert(
      input.items.map((name, position) => ({ school_id: staff.schoolId, framework_id: fw.id, name, position })),
    );
    await trx('framework_levels').insert(
      input.levels.map((l) => ({ ...l, school_id: staff.schoolId, framework_id: fw.id })),
    );
    await audit.record(trx, staff, {
      action: 'framework.created',
      entityType: 'framework',
      entityId: fw.id,
      meta: { items: input.items.length, levels: input.levels.length },
    });
    return fw.id as string;
  });
}

export interface FrameworkEdit {
  name: string;
  description: string | null;
  recorded_by: SchoolRole[];
  archived: boolean;
  items: { id: string; name: string; position: number; archived: boolean; is_safety_domain: boolean }[];
  levels: { id: string; label: string; short_label: string; descriptor: string | null; meets_expected: boolean }[];
  newItem: string | null;
  newLevel: Omit<Level, 'id'> | null;
}

/** A framework rule the edit would break, shown beside the field it concerns (a FieldError, so forms show it there). */
export class FrameworkRuleBroken extends FieldError {}

/**
 * Edits names, labels and descriptors without code. Values of levels never change (scores keep
 * their meaning); a level's value must be unique in its framework.
 */
export async function updateFramework(
  db: Database,
  actor: Actor,
  id: string,
  edit: FrameworkEdit,
  version: number,
): Promise<void> {
  const staff = assertStaff(actor, 'framework.manage');
  await db.withActor(staff, async (trx) => {
    const fw = await lockFresh<{ version: number; archived_at: Date | null }>(
      trx('frameworks').where({ id, school_id: staff.schoolId }),
      version,
      {
        what: 'framework',
        conflict:
          'Someone else changed this framework while you were editing it. Nothing was saved; review it and try again.',
      },
    );
    await trx('frameworks')
      .where({ id })
      .update({
        name: edit.name,
        description: edit.description,
        recorded_by: edit.recorded_by,
        archived_at: edit.archived ? (fw.archived_at ?? new Date()) : null,
        version: fw.version + 1,
      });
    for (const item of edit.items) {
      const n = await trx('framework_items')
        .where({ id: item.id, framework_id: id })
        .update({
          name: item.name,
          position: item.position,
          archived_at: item.archived ? new Date() : null,
          is_safety_domain: item.is_safety_domain,
        });
      if (!n) throw new NotFound('framework item');
    }
    for (const level of edit.levels) {
      const { id: levelId, ...values } = level;
      const n = await trx('framework_levels').where({ id: levelId, framework_id: id }).update(values);
      if (!n) throw new NotFound('framework level');
    }
    if (edit.newItem) {
      const max = (await trx('framework_items').where({ framework_id: id }).max('position as m'))[0]?.m ?? -1;
      await trx('framework_items').insert({
        school_id: staff.schoolId,
        framework_id: id,
        name: edit.newItem,
        position: Number(max) + 1,
      });
    }
    if (edit.newLevel) {
      const clash = await trx('framework_levels').where({ framework_id: id, value: edit.newLevel.value }).first();
      if (clash)
        throw new FrameworkRuleBroken(
          'new_level_value',
          `There is already a level with the value ${edit.newLevel.value} (“${clash.label}”). Each level needs its own value.`,
        );
      await trx('framework_levels').insert({ ...edit.newLevel, school_id: staff.schoolId, framework_id: id });
    }
    await audit.record(trx, staff, {
      action: 'framework.updated',
      entityType: 'framework',
      entityId: id,
      fields: ['name', 'description', 'recorded_by', 'items', 'levels'],
    });
  });
}

/** Removes a level — only if no score uses it, so frameworks that hold assessments cannot be broken. */
export async function deleteLevel(db: Database, actor: Actor, frameworkId: string, levelId: string): Promise<void> {
  const staff = assertStaff(actor, 'framework.manage');
  await db.withActor(staff, async (trx) => {
    const level = await trx('framework_levels')
      .where({ id: levelId, framework_id: frameworkId, school_id: staff.schoolId })
      .first();
    if (!level) throw new NotFound('framework level');
    const used = await trx('assessment_scores').where({ school_id: staff.schoolId, level_id: levelId }).first('id');
    if (used)
      throw new FrameworkRuleBroken(
        'levels',
        `“${level.label}” is used by recorded assessments, so it cannot be deleted. You can rename it or change its descriptor.`,
        409,
      );
    await trx('framework_levels').where({ id: levelId }).del();
    await audit.record(trx, staff, {
      action: 'framework.updated',
      entityType: 'framework',
      entityId: frameworkId,
      fields: ['levels'],
      meta: { deleted_level: level.value },
    });
  });
}

export async function settingsData(db: Database, actor: Actor) {
  const staff = assertStaff(actor, 'framework.manage');
  return db.withActor(staff, async (trx) => ({
    frameworks: await loadFrameworks(trx, staff.schoolId, { includeArchived: true }),
    terms: await termsWithCurrent(db, trx, staff),
    usage: Object.fromEntries(
      (
        await trx('assessment_scores')
          .where({ school_id: staff.schoolId })
          .groupBy('level_id')
          .select('level_id', trx.raw('count(*)::int as n'))
      ).map((r: { level_id: string; n: number }) => [r.level_id, r.n]),
    ) as Record<string, number>,
  }));
}
