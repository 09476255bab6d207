import type { Tx } from '../../db/index.js';

/**
 * The school's safeguarding-prompt thresholds (P16) as a school setting: plain data that tenancy
 * stores, validates (schemas.ts) and shows on the settings page. What the thresholds mean, and the
 * prompt itself, are assessments' (concerns.ts), which reads them through `safeguardingSettings`.
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

export interface SafeguardingSettings {
  concernRules: ConcernRules;
  dslName: string | null;
  dslContact: string | null;
}

/** The school's prompt rules and its DSL, read in the caller's transaction (assessments, on saving scores). */
export async function safeguardingSettings(trx: Tx, schoolId: string): Promise<SafeguardingSettings> {
  const row = await trx('school_settings')
    .where({ school_id: schoolId })
    .first('concern_rules', 'dsl_name', 'dsl_contact');
  return {
    concernRules: parseConcernRules(row?.concern_rules),
    dslName: row?.dsl_name ?? null,
    dslContact: row?.dsl_contact ?? null,
  };
}
