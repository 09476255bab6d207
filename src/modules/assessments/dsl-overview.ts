import type { Database } from '../../db/index.js';
import { type Actor, assertStaff } from '../../policy/index.js';
import * as audit from '../audit/index.js';
import { pupilNames } from '../pupils/index.js';
import { directory } from '../tenancy/index.js';
import { concernsFor } from './concerns.js';
import { loadFrameworks, loadTerms, termFor } from './frameworks-service.js';

/**
 * The DSL's and the head's home-page lists (issue 15): restricted notes others wrote lately, which
 * otherwise reach nobody, and pupils whose recent wellbeing scores are low or falling by the
 * school's own rules. Only metadata: no note's text, which they open (and which is audited) from
 * the pupil's notes page. Reading the lists is audited as one row, whatever they hold; the row
 * says how many notes it listed but never which pupils met the wellbeing rules, because the
 * wellbeing part is computed with the prompt rules and P16 keeps those results out of storage.
 */

/** How far back "new" restricted notes and "recent" wellbeing scores go. */
export const noteWindowDays = 14;
const scoreWindowDays = 28;
const listLimit = 50;

export interface RestrictedNoteLine {
  noteId: string;
  pupilId: string;
  pupil: string;
  author: string;
  createdAt: Date;
}

export interface WellbeingLine {
  pupilId: string;
  pupil: string;
  /** Plain descriptions, e.g. "Feeling safe 2" or "Friendships 4 → 1". */
  reasons: string[];
}

const nameOf = (p: { preferred_forename: string | null; legal_forename: string; surname: string }) =>
  `${p.preferred_forename || p.legal_forename} ${p.surname}`;

export async function dslOverview(db: Database, actor: Actor, now = new Date()) {
  const staff = assertStaff(actor, 'safeguarding.overview');
  const daysAgo = (n: number) => new Date(now.getTime() - n * 86_400_000);
  return db.withActor(staff, async (trx) => {
    const notes: { id: string; pupil_id: string; author_id: string; created_at: Date }[] = await trx('notes')
      .where({ school_id: staff.schoolId, sensitivity: 'restricted' })
      .whereNot('author_id', staff.userId)
      .where('created_at', '>=', daysAgo(noteWindowDays))
      .select('id', 'pupil_id', 'author_id', 'created_at')
      .orderBy('created_at', 'desc')
      .limit(listLimit);

    const wellbeing = (await loadFrameworks(trx, staff.schoolId)).find((f) => f.kind === 'wellbeing');
    const current = termFor(await loadTerms(trx, staff.schoolId), now.toISOString().slice(0, 10));
    // Each pupil's latest score per domain this term or in the last weeks, with the one before it.
    const scores: { pupil_id: string; item_id: string; value: number; previous: number | null }[] = wellbeing
      ? (
          await trx.raw(
            `with recent as (
               select distinct on (s.pupil_id, s.item_id) s.pupil_id, s.item_id, s.value, t.sequence
                 from assessment_scores s join terms t on t.id = s.term_id
                where s.school_id = :school and s.framework_id = :framework
                  and (s.term_id = :term or s.assessed_on >= :since)
                order by s.pupil_id, s.item_id, t.sequence desc)
             select r.pupil_id, r.item_id, r.value,
                    (select b.value from assessment_scores b join terms bt on bt.id = b.term_id
                      where b.school_id = :school and b.pupil_id = r.pupil_id and b.item_id = r.item_id
                        and bt.sequence < r.sequence
                      order by bt.sequence desc limit 1) as previous
               from recent r`,
            {
              school: staff.schoolId,
              framework: wellbeing.id,
              term: current?.id ?? '00000000-0000-0000-0000-000000000000',
              since: daysAgo(scoreWindowDays).toISOString().slice(0, 10),
            },
          )
        ).rows
      : [];
    const rules = (await directory.safeguardingSettings(trx, staff.schoolId)).concern_rules;
    const byPupil = new Map<string, { saved: Map<string, number>; previous: Map<string, number> }>();
    for (const s of scores) {
      const p = byPupil.get(s.pupil_id) ?? { saved: new Map(), previous: new Map() };
      p.saved.set(s.item_id, s.value);
      if (s.previous !== null) p.previous.set(s.item_id, s.previous);
      byPupil.set(s.pupil_id, p);
    }
    const items = wellbeing?.items ?? [];
    const idOf = new Map(items.map((i) => [i.name, i.id]));
    const flagged = [...byPupil].flatMap(([pupilId, p]) => {
      const found = concernsFor(rules, items, p.saved, p.previous);
      if (!found.length) return [];
      // One line per domain, however many rules it met: a fall shows both scores.
      const reasons = new Map<string, string>();
      for (const c of found)
        if (c.rule === 'drop') reasons.set(c.item, `${c.item} ${c.from} → ${c.to}`);
        else if (!reasons.has(c.item)) reasons.set(c.item, `${c.item} ${p.saved.get(idOf.get(c.item) ?? '')}`);
      return [{ pupilId, reasons: [...reasons.values()] }];
    });

    // Names only of pupils this reader may open; restricted records and leavers stay out of analysis (P29).
    const pupils = await pupilNames(trx, staff, [...notes.map((n) => n.pupil_id), ...flagged.map((f) => f.pupilId)]);
    const authors = await directory.displayNames(
      trx,
      notes.map((n) => n.author_id),
    );
    const restrictedNotes: RestrictedNoteLine[] = notes.flatMap((n) => {
      const p = pupils.get(n.pupil_id);
      return p
        ? [
            {
              noteId: n.id,
              pupilId: n.pupil_id,
              pupil: nameOf(p),
              author: authors.get(n.author_id) ?? '',
              createdAt: n.created_at,
            },
          ]
        : [];
    });
    const today = now.toISOString().slice(0, 10);
    const allLow = flagged
      .flatMap((f) => {
        const p = pupils.get(f.pupilId);
        if (!p || p.restricted_at || (p.leaving_date && p.leaving_date <= today)) return [];
        return [{ pupilId: f.pupilId, pupil: nameOf(p), reasons: f.reasons, surname: p.surname }];
      })
      .sort((a, b) => a.surname.localeCompare(b.surname) || a.pupil.localeCompare(b.pupil));
    const lowWellbeing: WellbeingLine[] = allLow.slice(0, listLimit).map(({ surname: _s, ...line }) => line);

    await audit.record(trx, staff, {
      action: 'overview.viewed',
      entityType: 'school',
      entityId: staff.schoolId,
      meta: { restricted_notes: restrictedNotes.length },
    });
    return { restrictedNotes, lowWellbeing, lowWellbeingTotal: allLow.length, noteWindowDays };
  });
}
