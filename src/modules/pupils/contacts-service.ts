import type { Database } from '../../db/index.js';
import type { Actor } from '../../policy/index.js';
import { assertFresh } from '../../db/versioned.js';
import { NotFound } from '../../errors.js';
import { recordEdit, withPupil } from './pupil-change.js';

/** A pupil's contacts: add, change (version checked, R5), remove. The edit form's loader is in profile-service.ts. */

export interface ContactInput {
  name: string;
  relationship: string;
  phone: string | null;
  email: string | null;
  address: string | null;
  priority: number;
}

/** A stored contact, as the edit form shows it: what was typed, and its version for the R5 check. */
export interface StoredContact extends ContactInput {
  id: string;
  pupil_id: string;
  version: number;
}

export function addContact(db: Database, actor: Actor, pupilId: string, input: ContactInput, submissionKey?: string) {
  return withPupil(
    db,
    actor,
    pupilId,
    async (trx, staff) => {
      const [row] = await trx('pupil_contacts')
        .insert({ ...input, school_id: staff.schoolId, pupil_id: pupilId })
        .returning('id');
      await recordEdit(
        trx,
        staff,
        pupilId,
        [{ field: 'contact', old_value: null, new_value: `${input.name} (${input.relationship})` }],
        {
          action: 'pupil.contact_added',
          fields: Object.keys(input).filter((k) => input[k as keyof ContactInput] !== null),
        },
      );
      return row.id as string;
    },
    submissionKey,
  );
}

export function updateContact(
  db: Database,
  actor: Actor,
  pupilId: string,
  contactId: string,
  input: ContactInput,
  version: number,
) {
  return withPupil(db, actor, pupilId, async (trx, staff) => {
    const before = await trx('pupil_contacts').where({ id: contactId, pupil_id: pupilId }).first().forUpdate();
    if (!before) throw new NotFound('contact');
    assertFresh(
      before,
      version,
      'Someone else changed this contact while you were editing it. Nothing was saved; the form shows the current details.',
    );
    const fields = (Object.keys(input) as (keyof ContactInput)[]).filter(
      (k) => String(before[k] ?? '') !== String(input[k] ?? ''),
    );
    if (!fields.length) return;
    await trx('pupil_contacts')
      .where({ id: contactId })
      .update({ ...input, version: before.version + 1, updated_at: trx.fn.now() });
    await recordEdit(
      trx,
      staff,
      pupilId,
      fields.map((f) => ({
        field: `contact ${f}`,
        old_value: before[f] === null ? null : String(before[f]),
        new_value: input[f] === null ? null : String(input[f]),
      })),
      { action: 'pupil.contact_updated', fields },
    );
  });
}

export function removeContact(db: Database, actor: Actor, pupilId: string, contactId: string) {
  return withPupil(db, actor, pupilId, async (trx, staff) => {
    const [removed] = await trx('pupil_contacts')
      .where({ id: contactId, pupil_id: pupilId })
      .del()
      .returning(['name', 'relationship']);
    if (!removed) throw new NotFound('contact');
    await recordEdit(
      trx,
      staff,
      pupilId,
      [{ field: 'contact', old_value: `${removed.name} (${removed.relationship})`, new_value: null }],
      { action: 'pupil.contact_removed' },
    );
  });
}
