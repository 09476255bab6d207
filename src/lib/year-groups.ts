/** England's year groups, as stored (N, R, 1…13) and as people say them. The database orders them with `year_group_rank`. */
export const yearGroups = ['N', 'R', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13'] as const;
export type YearGroup = (typeof yearGroups)[number];

export function yearGroupLabel(y: string | null | undefined): string {
  if (!y) return '';
  if (y === 'N') return 'Nursery';
  if (y === 'R') return 'Reception';
  return `Year ${y}`;
}

export type KeyStage = 'EYFS' | 'KS1' | 'KS2' | 'KS3' | 'KS4' | 'KS5';

export function keyStage(y: YearGroup): KeyStage {
  if (y === 'N' || y === 'R') return 'EYFS';
  const n = Number(y);
  if (n <= 2) return 'KS1';
  if (n <= 6) return 'KS2';
  if (n <= 9) return 'KS3';
  if (n <= 11) return 'KS4';
  return 'KS5';
}

/** The year groups a school of this phase teaches, before its own pupils are counted (null: no phase known). */
const phaseYears: Record<string, readonly YearGroup[]> = {
  nursery: ['N', 'R'],
  primary: ['R', '1', '2', '3', '4', '5', '6'],
  secondary: ['7', '8', '9', '10', '11'],
};

/**
 * The year groups to offer a school, in school order: those of its phase and any its pupils or
 * classes are in (a primary with a nursery gets Nursery; a secondary with a sixth form gets 12 and 13).
 * A school with no phase (or all-through, special) and no pupils yet is offered every year group.
 */
export function schoolYearGroups(phase: string | null | undefined, present: readonly string[]): YearGroup[] {
  const offered = new Set<string>([...(phaseYears[phase ?? ''] ?? []), ...present]);
  const years = yearGroups.filter((y) => offered.has(y));
  return years.length ? years : [...yearGroups];
}
