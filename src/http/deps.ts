import type { Config } from '../config.js';
import type { Database, Tx } from '../db/index.js';
import type { Logger } from '../logger.js';
import type { Mailer } from '../mail/index.js';
import type { Actor, StaffActor } from '../policy/index.js';
import type { Renderer } from './render.js';

/** Password hashing as the kernel needs it; tenancy provides the argon2 implementation. */
export interface PasswordHashing {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** True when the stored hash used weaker parameters than today's (rehash on sign-in). */
  needsRehash(hash: string): boolean;
  /** Spends a verification's time on no account, so response time does not reveal which emails exist. */
  verifyAgainstNothing(password: string): Promise<false>;
}

/**
 * Who people are, for modules below tenancy that show names (the audit log). Tenancy implements it
 * over its own tables; every call runs in the caller's transaction, so RLS sees the caller.
 */
export interface PeopleDirectory {
  /** Full names by user id; an id with no user, or a user with no name, is left out. */
  namesOf(trx: Tx, userIds: readonly string[]): Promise<Map<string, string>>;
  /** Everyone with a membership of the school, by family then given name. */
  schoolPeople(trx: Tx, schoolId: string): Promise<{ id: string; name: string }[]>;
}

/** A record as the audit log names it: "Amelia Okafor", linked to her profile. */
export interface RecordName {
  name: string;
  href: string;
}

/**
 * Names of one entity type's records (pupils), for the audit log, which sits below the module that
 * owns them. The owning module contributes it (its description's `recordNames`); every call runs in
 * the caller's transaction and names only records the actor may see, so the log names a pupil only
 * to those allowed to see them.
 */
export interface RecordNamer {
  namesOf(trx: Tx, actor: StaffActor, ids: readonly string[]): Promise<Map<string, RecordName>>;
}

/**
 * What a module does when an organisation is created, in the creating transaction (for example a
 * school's default frameworks). `phase` is a school's phase (primary, secondary…), when it has one.
 */
export type OrganisationCreatedHook = (
  trx: Tx,
  org: { id: string; kind: string; phase?: string | null },
  actor: Actor,
) => Promise<void>;

/** A class or group a member of staff can work with, labelled as its checkbox shows it. */
export interface StaffGroupOption {
  id: string;
  label: string;
}

/** One person's place in one class or group. */
export interface StaffGroupAssignment {
  userId: string;
  groupId: string;
  name: string;
  role: string;
}

/**
 * Which classes and groups staff work with. Tenancy's staff pages and invitations need it, but the
 * groups belong to a module above tenancy (pupils), which contributes this. Every call runs in the
 * caller's transaction, so a use case and its audit row stay one transaction.
 */
export interface StaffGroups {
  /** The school's groups a person may be given (not archived), in the order the pages list them. */
  options(trx: Tx, schoolId: string): Promise<StaffGroupOption[]>;
  /** The school's assignments, or one person's, by group name. */
  assignments(trx: Tx, schoolId: string, userId?: string): Promise<StaffGroupAssignment[]>;
  /** Refuses (404) unless every id is one of the school's groups. */
  assertExist(trx: Tx, schoolId: string, groupIds: readonly string[]): Promise<void>;
  /** Replaces a person's groups; their school roles decide whether they join as teacher or TA. */
  replace(
    trx: Tx,
    schoolId: string,
    userId: string,
    groupIds: readonly string[],
    roles: readonly string[],
  ): Promise<void>;
  /** Adds a person to those of the groups that still exist and are not archived (an accepted invitation). */
  join(trx: Tx, schoolId: string, userId: string, groupIds: readonly string[], roles: readonly string[]): Promise<void>;
}

/** What route modules are built from. */
export interface AppDeps {
  config: Config;
  db: Database;
  logger: Logger;
  mailer: Mailer;
  hasher: PasswordHashing;
  renderer: Renderer;
  sessionSecret: string;
  people: PeopleDirectory;
  /** Every audit action of every module, with the label the audit log shows, in module order. */
  auditActionLabels: Readonly<Record<string, string>>;
  /** What each module does when an organisation is created, run in module order in the creating transaction. */
  organisationCreatedHooks: OrganisationCreatedHook[];
  /** The one module's `staffGroups` (pupils), for tenancy's staff pages and invitations. */
  staffGroups: StaffGroups;
  /** Names of audited records by entity type (`pupil`), from the modules that own them. */
  recordNames: Readonly<Record<string, RecordNamer>>;
}
