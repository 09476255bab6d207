/** Small text helpers shared by form messages everywhere. */

/** "enter a name" → "Enter a name". */
export function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** A field's label at the start of a message: "a surname" → "Surname", "the start date" → "Start date". */
export function fieldLabelAtStart(label: string): string {
  return capitalise(label.replace(/^(a|an|the) /, ''));
}

/** An empty form or query value means "not given": zod then treats it as missing (a blank select). */
export const emptyAsUndefined = (v: unknown): unknown => (v === '' ? undefined : v);
