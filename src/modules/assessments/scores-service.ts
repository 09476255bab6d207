import type { Database, Tx } from '../../db/index.js';
import { type Actor, assertStaff, PolicyDenied, type StaffActor } from '../../policy/index.js';
import { NotFound } from '../../errors.js';
import * as audit from '../audit/service.js';
import { loadGroupForStaff, loadPupilForStaff } from '../pupils/service.js';
import { type Concern, concernsFor, parseRules } from './concerns.js';
import {
  type Framework,
  loadFrameworks,
  type Term,
  termFor,
  termLabel,
  termsWithCurrent,
} from './frameworks-service.js';

export interface EntryPupil {
  id: string;
  legal_forename: string;
  preferred_forename: string | null;
  surname: string;
  restricted_at: Date | string | null;
}

export interface StoredScore {
  level_id: string;
  value: number;
  recorded_at: Date;
}

export interface EntryData {
  framework: Framework;
  frameworks: Framework[];
  term: Term;
  terms: Term[];
  pupils: EntryPupil[];
  /** pupilId → itemId → score */
  scores: Record<string, Record<string, StoredScore>>;
  /** pupilId → the newest recorded_at among the row's scores, for the stale-edit check (R5). */
  stamps: Record<string, string>;
  canRecord: boolean;
  assessedOn: string;
}

const today = () => new Date().toISOString().slice(0, 10);

function pickFramework(frameworks: Framework[], id: string | undefined): Framework {
  const fw = id ? frameworks.find((f) => f.id === id) : frameworks[0];
  if (!fw) throw new NotFound('assessment framework');
  return fw;
}

export const mayRecord = (staff: StaffActor, fw: Framework) => fw.recorded_by.some((r) => staff.roles.includes(r));

async function scoresFor(trx: Tx, schoolId: string, pupilIds: string[], frameworkId: string, termId: string) {
  const rows: (StoredScore & { pupil_id: string; item_id: string })[] = pupilIds.length
    ? await trx('assessment_scores')
        .where({ school_id: schoolId })
        .whereIn('pupil_id', pupilIds)
        .where({ framework_id: frameworkId, term_id: termId })
        .select('pupil_id', 'item_id', 'level_id', 'value', 'recorded_at')
    : [];
  const scores: EntryData['scores'] = {};
  const stamps: EntryData['stamps'] = {};
  for (const r of rows) {
    (scores[r.pupil_id] ??= {})[r.item_id] = { level_id: r.level_id, value: r.value, recorded_at: r.recorded_at };
    const iso = r.recorded_at.toISOString();
    if (!stamps[r.pupil_id] || stamps[r.pupil_id]! < iso) stamps[r.pupil_id] = iso;
  }
  return { scores, stamps };
}

async function entry(
  db: Database,
  staff: StaffActor,
  trx: Tx,
  pupils: EntryPupil[],
  frameworkId?: string,
  termId?: string,
): Promise<EntryData> {
  const frameworks = await loadFrameworks(trx, staff.schoolId);
  const framework = pickFramework(frameworks, frameworkId);
  const terms = await termsWithCurrent(db, trx, staff);
  const term = (termId ? terms.find((t) => t.id === termId) : termFor(terms, today())) ?? terms.at(-1);
  if (!term) throw new NotFound('term');
  const { scores, stamps } = await scoresFor(
    trx,
    staff.schoolId,
    pupils.map((p) => p.id),
    framework.id,
    term.id,
  );
  const now = today();
  return {
    framework,
    frameworks,
    term,
    terms,
    pupils,
    scores,
    stamps,
    canRecord: mayRecord(staff, framework),
    assessedOn: term.starts_on <= now && now <= term.ends_on ? now : term.ends_on < now ? term.ends_on : term.starts_on,
  };
}

/** The whole-class grid: pupils × domains or subjects for one term. Viewing it is a read of scores (audited). */
export async function groupEntry(db: Database, actor: Actor, groupId: string, frameworkId?: string, termId?: string) {
  const staff = assertStaff(actor, 'assessment.read');
  return db.withActor(staff, async (trx) => {
    const { group, pupils } = await loadGroupForStaff(trx, staff, groupId);
    const data = await entry(db, staff, trx, pupils, frameworkId, termId);
    await audit.record(trx, staff, {
      action: 'assessment.viewed',
      entityType: 'group',
      entityId: groupId,
      meta: { framework: data.framework.kind },
    });
    return { group, ...data };
  });
}

export async function pupilEntry(db: Database, actor: Actor, pupilId: string, frameworkId?: string, termId?: string) {
  const staff = assertStaff(actor, 'assessment.read');
  return db.withActor(staff, async (trx) => {
    const pupil = await loadPupilForStaff(trx, staff, pupilId);
    const data = await entry(db, staff, trx, [pupil], frameworkId, termId);
    await audit.record(trx, staff, {
      action: 'assessment.viewed',
      entityType: 'pupil',
      entityId: pupilId,
      meta: { framework: data.framework.kind },
    });
    return { pupil, ...data };
  });
}

export interface RowInput {
  pupilId: string;
  stamp: string;
  /** itemId → level id, or '' to clear */
  levels: Record<string, string>;
}

export interface SaveInput {
  frameworkId: string;
  termId: string;
  assessedOn: string;
  rows: RowInput[];
}

export interface SavedRow {
  pupilId: string;
  changed: string[];
  /** For the response only (P16): never stored, logged or reported. */
  concerns: Concern[];
}

export type SaveResult =
  | { ok: true; rows: SavedRow[]; dsl: { name: string | null; contact: string | null } }
  | { ok: false; errors: Record<string, string>; conflicts: { pupilId: string; current: Record<string, string> }[] };

export const cellKey = (pupilId: string, itemId: string) => `${pupilId}:${itemId}`;

/**
 * Saves grid rows (or one pupil's form) for one framework and term, in one transaction: every row
 * or none. Each changed row writes an audit row naming the items (never the scores). A row saved by
 * someone else after it was loaded is refused as a conflict (R5). The same submission twice changes
 * nothing the second time (R4). Wellbeing rows are checked against the school's prompt rules; the
 * result goes back in the response and nowhere else.
 */
export async function saveScores(
  db: Database,
  actor: Actor,
  input: SaveInput,
  within: { groupId: string } | { pupilId: string },
): Promise<SaveResult> {
  const staff = assertStaff(actor, 'assessment.record');
  return db.withActor(staff, async (trx) => {
    const frameworks = await loadFrameworks(trx, staff.schoolId);
    const framework = pickFramework(frameworks, input.frameworkId);
    if (!mayRecord(staff, framework))
      throw new PolicyDenied('assessment.record', 'framework not recordable by this role');
    const terms = await termsWithCurrent(db, trx, staff);
    const term = terms.find((t) => t.id === input.termId);
    if (!term) throw new NotFound('term');
    const allowed =
      'groupId' in within
        ? (await loadGroupForStaff(trx, staff, within.groupId)).pupils
        : [await loadPupilForStaff(trx, staff, within.pupilId)];
    const byId = new Map(allowed.map((p) => [p.id, p]));
    const itemIds = new Set(framework.items.map((i) => i.id));
    const levels = new Map(framework.levels.map((l) => [l.id, l]));

    const errors: Record<string, string> = {};
    if (input.assessedOn < term.starts_on || input.assessedOn > term.ends_on) {
      errors.assessed_on = `The date must be within the ${termLabel(term)} term (${term.starts_on} to ${term.ends_on})`;
    }
    for (const row of input.rows) {
      const pupil = byId.get(row.pupilId);
      if (!pupil) throw new NotFound('pupil');
      if (pupil.restricted_at) throw new PolicyDenied('assessment.record', 'restricted record is read-only');
      for (const [itemId, levelId] of Object.entries(row.levels)) {
        if (!itemIds.has(itemId))
          errors[cellKey(row.pupilId, itemId)] = 'That is not part of this framework. Reload the page.';
        else if (levelId !== '' && !levels.has(levelId))
          errors[cellKey(row.pupilId, itemId)] = `Choose one of the ${framework.name} levels`;
      }
    }

    const pupilIds = input.rows.map((r) => r.pupilId);
    // Saves of the same pupils' scores for one framework and term take turns (locks taken in one
    // order, so two saves never deadlock). Two identical first saves at once then cannot both
    // insert: the second sees the first's rows and changes nothing (R4).
    await trx.raw(
      `select count(pg_advisory_xact_lock(hashtextextended(k, 0))) from (select k from unnest(?::text[]) as k order by k) as keys`,
      [[...new Set(pupilIds)].map((id) => `scores:${framework.id}:${term.id}:${id}`)],
    );
    const current = await trx('assessment_scores')
      .where({ school_id: staff.schoolId })
      .whereIn('pupil_id', pupilIds)
      .where({ term_id: term.id, framework_id: framework.id })
      .select('id', 'pupil_id', 'item_id', 'level_id', 'value', 'recorded_at', 'version')
      .forUpdate();
    const currentOf = (p: string, i: string) =>
      current.find((c: { pupil_id: string; item_id: string }) => c.pupil_id === p && c.item_id === i);
    const conflicts: { pupilId: string; current: Record<string, string> }[] = [];
    for (const row of input.rows) {
      const rowScores = current.filter((c: { pupil_id: string }) => c.pupil_id === row.pupilId);
      const newest = rowScores.reduce(
        (m: string, c: { recorded_at: Date }) => (c.recorded_at.toISOString() > m ? c.recorded_at.toISOString() : m),
        '',
      );
      const differs = Object.entries(row.levels).some(
        ([itemId, levelId]) => (currentOf(row.pupilId, itemId)?.level_id ?? '') !== levelId,
      );
      if (newest > row.stamp && differs) {
        conflicts.push({
          pupilId: row.pupilId,
          current: Object.fromEntries(
            rowScores.map((c: { item_id: string; level_id: string }) => [
              c.item_id,
              levels.get(c.level_id)?.short_label ?? '?',
            ]),
          ),
        });
      }
    }
    if (Object.keys(errors).length || conflicts.length) return { ok: false, errors, conflicts };

    const saved: SavedRow[] = [];
    for (const row of input.rows) {
      const changed: string[] = [];
      for (const [itemId, levelId] of Object.entries(row.levels)) {
        const existing = currentOf(row.pupilId, itemId);
        const item = framework.items.find((i) => i.id === itemId)!;
        if (levelId === '') {
          if (existing) {
            await trx('assessment_scores').where({ id: existing.id }).del();
            changed.push(item.name);
          }
          continue;
        }
        const level = levels.get(levelId)!;
        if (existing?.level_id === levelId) continue;
        const values = {
          level_id: levelId,
          value: level.value,
          assessed_on: input.assessedOn,
          recorded_by: staff.userId,
          recorded_at: trx.fn.now(),
        };
        if (existing)
          await trx('assessment_scores')
            .where({ id: existing.id })
            .update({ ...values, version: existing.version + 1 });
        else
          await trx('assessment_scores').insert({
            ...values,
            school_id: staff.schoolId,
            pupil_id: row.pupilId,
            framework_id: framework.id,
            item_id: itemId,
            term_id: term.id,
          });
        changed.push(item.name);
      }
      if (changed.length) {
        await audit.record(trx, staff, {
          action: 'assessment.recorded',
          entityType: 'pupil',
          entityId: row.pupilId,
          fields: changed,
          meta: { framework: framework.name, term: termLabel(term) },
        });
      }
      saved.push({ pupilId: row.pupilId, changed, concerns: [] });
    }

    if (framework.kind === 'wellbeing') {
      const settings = await trx('school_settings')
        .where({ school_id: staff.schoolId })
        .first('concern_rules', 'dsl_name', 'dsl_contact');
      const rules = parseRules(settings?.concern_rules);
      const previous = await previousScores(trx, staff.schoolId, pupilIds, framework.id, term.sequence);
      for (const row of saved) {
        const values = new Map(
          Object.entries(input.rows.find((r) => r.pupilId === row.pupilId)!.levels)
            .filter(([, l]) => l !== '')
            .map(([itemId, l]) => [itemId, levels.get(l)!.value]),
        );
        row.concerns = concernsFor(rules, framework.items, values, previous.get(row.pupilId) ?? new Map());
      }
      return {
        ok: true,
        rows: saved,
        dsl: { name: settings?.dsl_name ?? null, contact: settings?.dsl_contact ?? null },
      };
    }
    return { ok: true, rows: saved, dsl: { name: null, contact: null } };
  });
}

/** Each pupil's most recent score per item from terms before this one. */
async function previousScores(
  trx: Tx,
  schoolId: string,
  pupilIds: string[],
  frameworkId: string,
  beforeSequence: number,
): Promise<Map<string, Map<string, number>>> {
  const rows: { pupil_id: string; item_id: string; value: number }[] = await trx('assessment_scores as s')
    .join('terms as t', 't.id', 's.term_id')
    .where('s.school_id', schoolId)
    .whereIn('s.pupil_id', pupilIds)
    .where('s.framework_id', frameworkId)
    .where('t.sequence', '<', beforeSequence)
    .distinctOn('s.pupil_id', 's.item_id')
    .select('s.pupil_id', 's.item_id', 's.value')
    .orderBy([{ column: 's.pupil_id' }, { column: 's.item_id' }, { column: 't.sequence', order: 'desc' }]);
  const out = new Map<string, Map<string, number>>();
  for (const r of rows) {
    if (!out.has(r.pupil_id)) out.set(r.pupil_id, new Map());
    out.get(r.pupil_id)!.set(r.item_id, r.value);
  }
  return out;
}
