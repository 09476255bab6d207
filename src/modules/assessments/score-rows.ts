import type { Tx } from '../../db/index.js';

/** The score rows behind the grid: reading a term's scores, the terms before, and stale rows (R5). */

export interface StoredScore {
  level_id: string;
  value: number;
  recorded_at: Date;
}

/** A score row as a save locks it. */
export interface CurrentScore extends StoredScore {
  id: string;
  pupil_id: string;
  item_id: string;
  version: number;
}

/** One framework's scores for these pupils in one term, and each row's newest `recorded_at` (its stamp). */
export async function scoresFor(trx: Tx, schoolId: string, pupilIds: string[], frameworkId: string, termId: string) {
  const rows: (StoredScore & { pupil_id: string; item_id: string })[] = pupilIds.length
    ? await trx('assessment_scores')
        .where({ school_id: schoolId })
        .whereIn('pupil_id', pupilIds)
        .where({ framework_id: frameworkId, term_id: termId })
        .select('pupil_id', 'item_id', 'level_id', 'value', 'recorded_at')
    : [];
  /** pupilId → itemId → score */
  const scores: Record<string, Record<string, StoredScore>> = {};
  /** pupilId → the newest recorded_at among the row's scores, for the stale-edit check (R5). */
  const stamps: Record<string, string> = {};
  for (const r of rows) {
    (scores[r.pupil_id] ??= {})[r.item_id] = { level_id: r.level_id, value: r.value, recorded_at: r.recorded_at };
    const iso = r.recorded_at.toISOString();
    if (!stamps[r.pupil_id] || stamps[r.pupil_id]! < iso) stamps[r.pupil_id] = iso;
  }
  return { scores, stamps };
}

/**
 * The grid's stale-write check (R5). A grid row is not one versioned record but a pupil's scores
 * across items, so its "version" is the newest `recorded_at` the page was loaded with. A row that
 * someone saved after that, and that this save would change, is a conflict: it goes back with the
 * current levels so both versions can be shown (409), together with any validation errors.
 */
export function staleRows(
  rows: { pupilId: string; stamp: string; levels: Record<string, string> }[],
  current: CurrentScore[],
  levels: Map<string, { short_label: string }>,
): { pupilId: string; current: Record<string, string> }[] {
  const conflicts: { pupilId: string; current: Record<string, string> }[] = [];
  for (const row of rows) {
    const rowScores = current.filter((c) => c.pupil_id === row.pupilId);
    const newest = rowScores.reduce((m, c) => (c.recorded_at.toISOString() > m ? c.recorded_at.toISOString() : m), '');
    const differs = Object.entries(row.levels).some(
      ([itemId, levelId]) => (rowScores.find((c) => c.item_id === itemId)?.level_id ?? '') !== levelId,
    );
    if (newest > row.stamp && differs) {
      conflicts.push({
        pupilId: row.pupilId,
        current: Object.fromEntries(rowScores.map((c) => [c.item_id, levels.get(c.level_id)?.short_label ?? '?'])),
      });
    }
  }
  return conflicts;
}

/** Each pupil's most recent score per item from terms before this one. */
export async function previousScores(
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
