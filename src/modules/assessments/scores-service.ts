import type { Database, Tx } from '../../db/index.js';
import { today } from '../../lib/dates.js';
import { type Actor, assert, assertStaff, can, type StaffActor } from '../../policy/index.js';
import { NotFound } from '../../errors.js';
import * as audit from '../audit/index.js';
import { loadGroupForStaff, loadPupilForStaff } from '../pupils/index.js';
import { directory } from '../tenancy/index.js';
import { type CellPrompt, cellPrompts, concernsFor } from './concerns.js';
import { type CurrentScore, previousScores, scoresFor, staleRows, type StoredScore } from './score-rows.js';

export type { StoredScore } from './score-rows.js';
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

function pickFramework(frameworks: Framework[], id: string | undefined): Framework {
  const fw = id ? frameworks.find((f) => f.id === id) : frameworks[0];
  if (!fw) throw new NotFound('assessment framework');
  return fw;
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
    canRecord: can(staff, 'assessment.record', { recordedBy: framework.recorded_by }),
    assessedOn: term.starts_on <= now && now <= term.ends_on ? now : term.ends_on < now ? term.ends_on : term.starts_on,
  };
}

/** The whole-class grid: pupils × domains or subjects for one term. Viewing it is a read of scores (audited). */
export async function groupEntry(db: Database, actor: Actor, groupId: string, frameworkId?: string, termId?: string) {
  const staff = assertStaff(actor, 'assessment.read');
  return db.withActor(staff, async (trx) => {
    const { group, pupils } = await loadGroupForStaff(trx, staff, groupId);
    const data = await entry(db, staff, trx, pupils, frameworkId, termId);
    await audit.recordRead(trx, staff, {
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
    await audit.recordRead(trx, staff, {
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
  /** The items this save changed (ids), so prompts are only about them. */
  changedIds: string[];
  /** For the response only (P16): never stored, logged or reported. One line per changed cell. */
  concerns: CellPrompt[];
}

/** Whom a prompt tells staff to speak to: the school's DSL and deputy, as its settings give them. */
export interface DslContacts {
  name: string | null;
  contact: string | null;
  deputyName: string | null;
  deputyContact: string | null;
}

export type SaveResult =
  | { ok: true; rows: SavedRow[]; dsl: DslContacts }
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
    assert(staff, 'assessment.record', { recordedBy: framework.recorded_by });
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
      assert(staff, 'assessment.record', { recordedBy: framework.recorded_by, restricted: !!pupil.restricted_at });
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
    const current: CurrentScore[] = await trx('assessment_scores')
      .where({ school_id: staff.schoolId })
      .whereIn('pupil_id', pupilIds)
      .where({ term_id: term.id, framework_id: framework.id })
      .select('id', 'pupil_id', 'item_id', 'level_id', 'value', 'recorded_at', 'version')
      .forUpdate();
    const currentOf = (p: string, i: string) => current.find((c) => c.pupil_id === p && c.item_id === i);
    const conflicts = staleRows(input.rows, current, levels);
    if (Object.keys(errors).length || conflicts.length) return { ok: false, errors, conflicts };

    const saved: SavedRow[] = [];
    for (const row of input.rows) {
      const changed: string[] = [];
      const changedIds: string[] = [];
      for (const [itemId, levelId] of Object.entries(row.levels)) {
        const existing = currentOf(row.pupilId, itemId);
        const item = framework.items.find((i) => i.id === itemId)!;
        if (levelId === '') {
          if (existing) {
            await trx('assessment_scores').where({ id: existing.id }).del();
            changed.push(item.name);
            changedIds.push(itemId);
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
        changedIds.push(itemId);
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
      saved.push({ pupilId: row.pupilId, changed, changedIds, concerns: [] });
    }

    if (framework.kind === 'wellbeing') {
      const settings = await directory.safeguardingSettings(trx, staff.schoolId);
      const previous = await previousScores(trx, staff.schoolId, pupilIds, framework.id, term.sequence);
      // Only cells this save changed can prompt: a "Save all" of an untouched grid, or a row saved
      // again for another cell, does not repeat prompts the teacher has already seen.
      for (const row of saved) {
        const values = new Map(
          Object.entries(input.rows.find((r) => r.pupilId === row.pupilId)!.levels)
            .filter(([itemId, l]) => l !== '' && row.changedIds.includes(itemId))
            .map(([itemId, l]) => [itemId, levels.get(l)!.value]),
        );
        row.concerns = cellPrompts(
          concernsFor(settings.concern_rules, framework.items, values, previous.get(row.pupilId) ?? new Map()),
        );
      }
      return {
        ok: true,
        rows: saved,
        dsl: {
          name: settings.dsl_name,
          contact: settings.dsl_contact,
          deputyName: settings.deputy_dsl_name,
          deputyContact: settings.deputy_dsl_contact,
        },
      };
    }
    return { ok: true, rows: saved, dsl: { name: null, contact: null, deputyName: null, deputyContact: null } };
  });
}
