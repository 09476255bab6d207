import type { ConcernRules } from '../tenancy/index.js';

/**
 * Safeguarding prompts (P16). When a saved wellbeing assessment meets one of the school's rules,
 * the response asks staff to consider whether this is a safeguarding concern and points them to
 * the school's own procedure and DSL.
 *
 * THE PROMPT AND THE FACT THAT IT WAS SHOWN ARE NEVER STORED, LOGGED OR REPORTED. This module is
 * pure: it computes from the scores just saved and returns plain values for the response alone.
 * Nothing here may be written to a table, an audit row, a log line, a history entry or an export,
 * and a response must not differ in status or headers when a prompt is shown.
 *
 * The rules themselves are a school setting: tenancy stores them and reads them, with their
 * defaults, through `directory.safeguardingSettings` (tenancy's concern-rules.ts is the one parser).
 * What they mean is this file's.
 */

export type Concern =
  | { rule: 'score_of_one'; item: string }
  | { rule: 'drop'; item: string; from: number; to: number }
  | { rule: 'safety_domain'; item: string; value: number };

interface ItemInfo {
  id: string;
  name: string;
  is_safety_domain: boolean;
}

/** The reasons, if any, to show a prompt for one pupil's just-saved wellbeing scores. */
export function concernsFor(
  rules: ConcernRules,
  items: ItemInfo[],
  saved: Map<string, number>,
  previous: Map<string, number>,
): Concern[] {
  const concerns: Concern[] = [];
  for (const item of items) {
    const value = saved.get(item.id);
    if (value === undefined) continue;
    if (rules.anyScoreOfOne && value === 1) concerns.push({ rule: 'score_of_one', item: item.name });
    const before = previous.get(item.id);
    if (rules.dropOf !== null && before !== undefined && before - value >= rules.dropOf)
      concerns.push({ rule: 'drop', item: item.name, from: before, to: value });
    if (rules.safetyDomainAtOrBelow !== null && item.is_safety_domain && value <= rules.safetyDomainAtOrBelow) {
      concerns.push({ rule: 'safety_domain', item: item.name, value });
    }
  }
  return concerns;
}

/** One prompt line per cell: the strongest reason, with the fall since the last assessment if there was one. */
export interface CellPrompt {
  item: string;
  reason: Concern['rule'];
  value: number;
  /** The previous assessment's score, when the cell also fell by the school's drop or more. */
  from: number | null;
}

const strength: Record<Concern['rule'], number> = { score_of_one: 0, safety_domain: 1, drop: 2 };

/** Folds the reasons for each cell into one line, so a 1 that also fell is one prompt, not three. */
export function cellPrompts(concerns: Concern[]): CellPrompt[] {
  const byItem = new Map<string, CellPrompt>();
  for (const c of concerns) {
    const value = c.rule === 'score_of_one' ? 1 : c.rule === 'drop' ? c.to : c.value;
    const prompt = byItem.get(c.item) ?? { item: c.item, reason: c.rule, value, from: null };
    if (strength[c.rule] < strength[prompt.reason]) prompt.reason = c.rule;
    if (c.rule === 'drop') prompt.from = c.from;
    byItem.set(c.item, prompt);
  }
  return [...byItem.values()];
}
