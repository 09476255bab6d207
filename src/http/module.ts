import type { Router } from 'express';
import type { Action, Actor } from '../policy/index.js';
import type { AppDeps, OrganisationCreatedHook, RecordNamer, StaffGroups } from './deps.js';

export type { OrganisationCreatedHook } from './deps.js';

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
  /** Its audit actions and the label the audit log shows for each (the module's `audit-actions.ts`). */
  auditActions: Readonly<Record<string, string>>;
  /** Paths that take multipart (file) bodies; the CSRF token is then checked by the route after parsing. */
  uploadPaths?: readonly string[];
  onOrganisationCreated?: OrganisationCreatedHook;
  /** Only the module that owns classes and groups (pupils) gives this; tenancy's staff pages use it. */
  staffGroups?: StaffGroups;
  /** How the audit log names this module's records, by entity type (pupils gives `pupil`). */
  recordNames?: Readonly<Record<string, RecordNamer>>;
}

/** What the kernel needs from the whole module list, gathered once at start-up. */
export interface AssembledModules {
  /** Every navigation entry, in bar order. */
  navigation: NavEntry[];
  auditActionLabels: Record<string, string>;
  uploadPaths: string[];
  organisationCreatedHooks: OrganisationCreatedHook[];
  /** Which classes and groups staff work with, from the one module that gives it. */
  staffGroups: StaffGroups;
  /** Record namers by entity type, each from the one module that owns the records. */
  recordNames: Record<string, RecordNamer>;
  /** Table name → owning module. */
  tableOwners: Map<string, string>;
}

/**
 * Gathers the module list's navigation, audit actions, upload paths, hooks and tables, in module
 * order. A name claimed twice (a module, a table, an audit action, a nav link) is a programming
 * error, so it stops the start-up rather than letting one module silently shadow another.
 */
export function assembleModules(modules: readonly WaypointModule[]): AssembledModules {
  const names = new Set<string>();
  const tableOwners = new Map<string, string>();
  const auditOwners = new Map<string, string>();
  const auditActionLabels: Record<string, string> = {};
  const navigation: NavEntry[] = [];
  const uploadPaths: string[] = [];
  const organisationCreatedHooks: OrganisationCreatedHook[] = [];
  const recordNames: Record<string, RecordNamer> = {};
  const recordNameOwners = new Map<string, string>();
  let staffGroups: { by: string; groups: StaffGroups } | undefined;
  const claim = (owners: Map<string, string>, what: string, key: string, owner: string) => {
    const earlier = owners.get(key);
    if (earlier) throw new Error(`${what} ${key} is declared by both ${earlier} and ${owner}`);
    owners.set(key, owner);
  };
  for (const m of modules) {
    if (names.has(m.name)) throw new Error(`module ${m.name} is listed twice`);
    names.add(m.name);
    for (const t of m.tables) claim(tableOwners, 'table', t, m.name);
    for (const [action, label] of Object.entries(m.auditActions)) {
      claim(auditOwners, 'audit action', action, m.name);
      auditActionLabels[action] = label;
    }
    navigation.push(...(m.navigation ?? []));
    uploadPaths.push(...(m.uploadPaths ?? []));
    if (m.onOrganisationCreated) organisationCreatedHooks.push(m.onOrganisationCreated);
    for (const [type, namer] of Object.entries(m.recordNames ?? {})) {
      claim(recordNameOwners, 'record names of', type, m.name);
      recordNames[type] = namer;
    }
    if (m.staffGroups) {
      if (staffGroups) throw new Error(`staffGroups is given by both ${staffGroups.by} and ${m.name}`);
      staffGroups = { by: m.name, groups: m.staffGroups };
    }
  }
  const hrefs = new Map<string, string>();
  for (const n of navigation) claim(hrefs, 'navigation link', n.href, n.label);
  // A stable sort: entries with the same order keep module order.
  navigation.sort((a, b) => a.order - b.order);
  if (!staffGroups) throw new Error('no module gives staffGroups (pupils should)');
  return {
    navigation,
    auditActionLabels,
    uploadPaths,
    organisationCreatedHooks,
    staffGroups: staffGroups.groups,
    recordNames,
    tableOwners,
  };
}
