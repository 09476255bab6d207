import type { Router } from 'express';
import type { Tx } from '../db/index.js';
import type { Action, Actor } from '../policy/index.js';
import type { AppDeps } from './deps.js';

/** One entry of the main navigation. It shows when the policy allows `action` (or always, without one). */
export interface NavEntry {
  href: string;
  label: string;
  /** Where it sits in the bar, lowest first (modules are listed in dependency order, not display order). */
  order: number;
  action?: Action;
  /** Who sees it, when more than the policy decides (for example staff only, not a trust user with the same grant). */
  show?: (actor: Actor) => boolean;
}

/** What a module does when an organisation is created, in the creating transaction (for example default frameworks). */
export type OrganisationCreatedHook = (trx: Tx, org: { id: string; kind: string }, actor: Actor) => Promise<void>;

/**
 * A module's whole public description: `src/modules/<name>/index.ts` exports one, and `app.ts` loops over the list.
 * The kernel (src/http, db, policy) knows modules only through this shape.
 */
export interface WaypointModule {
  name: string;
  /** The tables this module owns. Only its own code names them; a test checks this over every SQL and knex call. */
  tables: readonly string[];
  /** Its routers, mounted in the order given. */
  routers(deps: AppDeps): Router[];
  navigation?: readonly NavEntry[];
  /** Its audit actions and the label the audit log shows for each. */
  auditActions: Readonly<Record<string, string>>;
  /** Paths that take multipart (file) bodies; the CSRF token is then checked by the route after parsing. */
  uploadPaths?: readonly string[];
  onOrganisationCreated?: OrganisationCreatedHook;
}
