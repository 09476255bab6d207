/** The first name a pupil is known by: the preferred one when it has any text, else the legal one. */
export function knownAs(p: { preferred_forename?: string | null; legal_forename: string }): string {
  return p.preferred_forename && p.preferred_forename.trim() ? p.preferred_forename : p.legal_forename;
}
