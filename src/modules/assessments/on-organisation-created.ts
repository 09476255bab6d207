import type { OrganisationCreatedHook } from '../../http/module.js';
import { provisionSchool } from './frameworks-service.js';

/** A new school starts with Waypoint's default frameworks (by its phase) and this year's terms. */
export const onOrganisationCreated: OrganisationCreatedHook = async (trx, org) => {
  if (org.kind === 'school') await provisionSchool(trx, org.id, org.phase ?? null);
};
