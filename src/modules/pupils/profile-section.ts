import type { Tx } from '../../db/index.js';
import type { StaffActor } from '../../policy/index.js';

/** What a profile section is given: the profile's own transaction and what it has read already. */
export interface ProfileSectionContext {
  /** The profile's transaction: one BEGIN and one COMMIT (with every section's audit row) per page. */
  trx: Tx;
  actor: StaffActor;
  /** A pupil this actor may see: the profile has read it (its row-level security is the pupil scope). */
  pupilId: string;
  /** Every group the pupil is a member of, archived ones included. */
  groupIds: readonly string[];
}

/**
 * What a higher module adds to the pupil profile and its print view (assessments adds progress,
 * interventions and its buttons). Pupils knows nothing of it: the higher module passes its
 * sections in when it mounts the pupil pages. It runs after the profile is read, in the same
 * transaction, so a pupil the actor may not see is refused before any section reads anything.
 */
export type ProfileSection = (ctx: ProfileSectionContext) => Promise<Record<string, unknown>>;
