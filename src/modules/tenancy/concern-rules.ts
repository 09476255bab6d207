/**
 * The school's safeguarding-prompt thresholds (P16) as a school setting: plain data that tenancy
 * stores, validates (schemas.ts) and shows on the settings page. What the thresholds mean, and the
 * prompt itself, are assessments' (concerns.ts): it gets them through `directory.safeguardingSettings`,
 * already parsed here, so this is the only parser.
 */
export interface ConcernRules {
  /** Any domain scored 1. */
  anyScoreOfOne: boolean;
  /** A fall of this many levels or more in any domain since the previous assessment (null: off). */
  dropOf: number | null;
  /** The safety domain (e.g. "Physical wellbeing and feeling safe") at or below this (null: off). */
  safetyDomainAtOrBelow: number | null;
}

export const defaultConcernRules: ConcernRules = { anyScoreOfOne: true, dropOf: 2, safetyDomainAtOrBelow: 2 };

/** The stored rules with a default for each one not set (the column holds what the school chose). */
export function parseConcernRules(raw: unknown): ConcernRules {
  const r = (raw ?? {}) as Partial<ConcernRules>;
  return {
    anyScoreOfOne: r.anyScoreOfOne ?? defaultConcernRules.anyScoreOfOne,
    dropOf: r.dropOf === undefined ? defaultConcernRules.dropOf : r.dropOf,
    safetyDomainAtOrBelow:
      r.safetyDomainAtOrBelow === undefined ? defaultConcernRules.safetyDomainAtOrBelow : r.safetyDomainAtOrBelow,
  };
}
