import { type Database, prepared, type Tx } from '../../db/index.js';
import { today } from '../../lib/dates.js';
import { type Actor, assertStaff, pupilScope, type StaffActor } from '../../policy/index.js';
import * as audit from '../audit/index.js';
import { groupIdsOf, loadGroupForStaff, loadPupilForStaff, pupilMarkers } from '../pupils/index.js';
import { directory } from '../tenancy/index.js';
import { loadFrameworks, loadTerms, type Term, termFor } from './frameworks-service.js';

/**
 * Analysis (P7). Everything here is advice to staff, never an automatic decision (P10): it orders
 * and summarises; people decide. Restricted pupils (P29) are left out of school-wide figures.
 * Aggregates are computed in SQL, never by loading every score into Node.
 */

export interface OverviewCell {
  value: number | null;
  /** The change from the term before the latest score's term; null when either is missing. */
  change: number | null;
  /** Set when the latest score is from an earlier term than the one shown. */
  fromTerm: Term | null;
}

export interface OverviewRow {
  pupil: { id: string; legal_forename: string; preferred_forename: string | null; surname: string };
  cells: Record<string, OverviewCell>;
  lowest: number | null;
  totalChange: number;
  average: number | null;
}

/** "Needs attention" first: the lowest domain score, then the steepest total fall, then the lowest average. */
export function byAttention(a: OverviewRow, b: OverviewRow): number {
  const low = (r: OverviewRow) => r.lowest ?? Number.POSITIVE_INFINITY;
  return (
    low(a) - low(b) ||
    a.totalChange - b.totalChange ||
    (a.average ?? 99) - (b.average ?? 99) ||
    a.pupil.surname.localeCompare(b.pupil.surname) ||
    a.pupil.legal_forename.localeCompare(b.pupil.legal_forename)
  );
}

/**
 * Latest and previous score per pupil and item, up to (and including) a term: for each pair, two
 * entries of the (school, pupil, item, term_sequence desc) index, so the cost does not grow with the
 * years of history kept.
 */
async function latestTwo(trx: Tx, schoolId: string, pupilIds: string[], itemIds: string[], uptoSequence: number) {
  if (!pupilIds.length || !itemIds.length) return [];
  const { rows } = await prepared<{
    pupil_id: string;
    item_id: string;
    value: number;
    term_sequence: number;
    rn: number;
  }>(
    trx,
    'latest-two-scores',
    `select p.pupil_id, i.item_id, x.value, x.term_sequence, x.rn
       from unnest(?::uuid[]) as p(pupil_id) cross join unnest(?::uuid[]) as i(item_id)
       cross join lateral (
         select s.value, s.term_sequence, row_number() over (order by s.term_sequence desc) as rn
           from assessment_scores s
          where s.school_id = ? and s.pupil_id = p.pupil_id and s.item_id = i.item_id and s.term_sequence <= ?
          order by s.term_sequence desc limit 2) x`,
    [pupilIds, itemIds, schoolId, uptoSequence],
  );
  return rows;
}

/** Each pupil's latest score per subject of the school's first attainment framework, up to a term, as its short label. */
async function latestAttainment(
  trx: Tx,
  schoolId: string,
  frameworks: Awaited<ReturnType<typeof loadFrameworks>>,
  pupilIds: string[],
  uptoSequence: number | undefined,
) {
  const framework = frameworks.find((f) => f.kind === 'attainment');
  if (!framework || uptoSequence === undefined) return null;
  const scores = await latestTwo(
    trx,
    schoolId,
    pupilIds,
    framework.items.map((i) => i.id),
    uptoSequence,
  );
  const labelOf = new Map(framework.levels.map((l) => [l.value, l.short_label]));
  /** pupilId → itemId → short label */
  const byPupil: Record<string, Record<string, string>> = {};
  for (const s of scores.filter((x) => x.rn === 1))
    (byPupil[s.pupil_id] ??= {})[s.item_id] = labelOf.get(s.value) ?? String(s.value);
  return { framework, byPupil };
}

/** The class page: each pupil's latest wellbeing score per domain and the change since the one before. */
export async function classOverview(db: Database, actor: Actor, groupId: string, termId?: string) {
  const staff = assertStaff(actor, 'assessment.read');
  return db.withActor(staff, async (trx) => {
    const group = await loadGroupForStaff(trx, staff, groupId);
    const frameworks = await loadFrameworks(trx, staff.schoolId);
    const wellbeing = frameworks.find((f) => f.kind === 'wellbeing');
    const terms = await loadTerms(trx, staff.schoolId);
    const term = (termId ? terms.find((t) => t.id === termId) : termFor(terms, today())) ?? terms.at(-1);
    const rows: OverviewRow[] = [];
    if (wellbeing && term) {
      const scores = await latestTwo(
        trx,
        staff.schoolId,
        group.pupils.map((p) => p.id),
        wellbeing.items.map((i) => i.id),
        term.sequence,
      );
      const latestOf = new Map(scores.filter((s) => s.rn === 1).map((s) => [`${s.pupil_id}:${s.item_id}`, s]));
      const beforeOf = new Map(scores.filter((s) => s.rn === 2).map((s) => [`${s.pupil_id}:${s.item_id}`, s]));
      const termBySequence = new Map(terms.map((t) => [t.sequence, t]));
      for (const pupil of group.pupils) {
        const cells: Record<string, OverviewCell> = {};
        for (const item of wellbeing.items) {
          const latest = latestOf.get(`${pupil.id}:${item.id}`);
          const before = beforeOf.get(`${pupil.id}:${item.id}`);
          // The change is from the previous term only: a score from longer ago is not "last term".
          const previous = latest && before && before.term_sequence === latest.term_sequence - 1 ? before : undefined;
          cells[item.id] = {
            value: latest?.value ?? null,
            change: latest && previous ? latest.value - previous.value : null,
            fromTerm:
              latest && latest.term_sequence !== term.sequence
                ? (termBySequence.get(latest.term_sequence) ?? null)
                : null,
          };
        }
        const values = Object.values(cells)
          .map((c) => c.value)
          .filter((v): v is number => v !== null);
        rows.push({
          pupil,
          cells,
          lowest: values.length ? Math.min(...values) : null,
          totalChange: Object.values(cells).reduce((n, c) => n + (c.change ?? 0), 0),
          average: values.length ? values.reduce((a, b) => a + b, 0) / values.length : null,
        });
      }
      rows.sort(byAttention);
    }
    const pupilIds = group.pupils.map((p) => p.id);
    const markers = await pupilMarkers(trx, pupilScope(staff), pupilIds);
    const attainment = await latestAttainment(trx, staff.schoolId, frameworks, pupilIds, term?.sequence);
    // The page shows SEN status and looked-after status (special category) beside each name.
    await audit.recordRead(trx, staff, {
      action: 'assessment.viewed',
      entityType: 'group',
      entityId: groupId,
      fields: ['sen_status', 'looked_after', 'pupil_premium'],
      meta: { pupils: rows.length },
    });
    return { ...group, wellbeing: wellbeing ?? null, term: term ?? null, terms, rows, markers, attainment };
  });
}

export interface ItemHistory {
  item: { id: string; name: string };
  points: { term: Term; value: number; label: string }[];
}

/** A pupil's scores over time, per framework and item, for the profile's charts. */
export async function pupilHistory(db: Database, actor: Actor, pupilId: string) {
  const staff = assertStaff(actor, 'assessment.read');
  return db.withActor(staff, async (trx) => {
    await loadPupilForStaff(trx, staff, pupilId);
    return pupilHistoryIn(trx, staff, pupilId, await groupIdsOf(trx, staff, pupilId));
  });
}

/**
 * pupilHistory inside a transaction that has already found the pupil visible to `staff` and read
 * its groups (`groupIds`, archived ones too): the profile's section.
 */
export async function pupilHistoryIn(trx: Tx, staff: StaffActor, pupilId: string, groupIds: readonly string[]) {
  assertStaff(staff, 'assessment.read');
  // Archived frameworks and items keep their history on the profile: the scores are still real.
  const frameworks = await loadFrameworks(trx, staff.schoolId, { includeArchived: true });
  const terms = await loadTerms(trx, staff.schoolId);
  const scores: { framework_id: string; item_id: string; term_id: string; value: number; level_id: string }[] =
    await trx('assessment_scores')
      .where({ school_id: staff.schoolId, pupil_id: pupilId })
      .select('framework_id', 'item_id', 'term_id', 'value', 'level_id');
  const byCell = new Map(scores.map((x) => [`${x.item_id}:${x.term_id}`, x]));
  const result = frameworks
    .map((fw) => ({
      framework: fw,
      items: fw.items
        .map((item) => ({
          item: { id: item.id, name: item.name },
          points: terms.flatMap((term) => {
            const s = byCell.get(`${item.id}:${term.id}`);
            return s
              ? [
                  {
                    term,
                    value: s.value,
                    label: fw.levels.find((l) => l.id === s.level_id)?.short_label ?? String(s.value),
                  },
                ]
              : [];
          }),
        }))
        .filter((i) => i.points.length || !fw.items.find((x) => x.id === i.item.id)?.archived_at),
    }))
    .filter((f) => f.items.some((i) => i.points.length));
  const rows: { lead_user_id: string | null }[] = await trx('interventions as i')
    .whereIn('i.group_id', [...groupIds])
    .select('i.id', 'i.name', 'i.type', 'i.status', 'i.start_date', 'i.end_date', 'i.lead_user_id')
    .orderBy('i.start_date', 'desc');
  const leads = await directory.displayNames(
    trx,
    rows.map((r) => r.lead_user_id),
  );
  const interventions = rows.map(({ lead_user_id, ...i }) => ({
    ...i,
    lead_name: lead_user_id ? (leads.get(lead_user_id) ?? null) : null,
  }));
  await audit.recordRead(trx, staff, {
    action: 'assessment.viewed',
    entityType: 'pupil',
    entityId: pupilId,
    meta: { frameworks: result.length },
  });
  return { frameworks: result, interventions, terms };
}
