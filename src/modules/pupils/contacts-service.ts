import type { Database } from '../../db/index.js';
import type { Actor } from '../../policy/index.js';
import { assertFresh } from '../../db/versioned.js';
import { NotFound } from '../../errors.js';
import * as audit from '../audit/index.js';
import { withPupil } from './pupil-change.js';
import * as q from './queries.js';

/** A pupil's contacts: add, change (version checked, R5), remove. The edit form's loader is in profile-service.ts. */

export interface ContactInput {
  name: string;
  relationship: string;
  phone: string | null;
  email: string | null;
  address: string | null;
  priority: number;
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
      await q.writeHistory(trx, staff.schoolId, pupilId, [
        {
          field: 'contact',
          old_value: null,
          new_value: `${input.name} (${input.relationship})`,
          source: 'edit',
          changed_by: staff.userId,
        },
      ]);
      await audit.record(trx, staff, {
        action: 'pupil.contact_added',
        entityType: 'pupil',
        entityId: pupilId,
        fields: Object.keys(input).filter((k) => input[k as keyof ContactInput] !== null),
      });
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
    await q.writeHistory(
      trx,
      staff.schoolId,
      pupilId,
      fields.map((f) => ({
        field: `contact ${f}`,
        old_value: before[f] === null ? null : String(before[f]),
        new_value: input[f] === null ? null : String(input[f]),
        source: 'edit' as const,
        changed_by: staff.userId,
      })),
    );
    await audit.record(trx, staff, { action: 'pupil.contact_updated', entityType: 'pupil', entityId: pupilId, fields });
  });
}

export function removeContact(db: Database, actor: Actor, pupilId: string, contactId: string) {
  return withPupil(db, actor, pupilId, async (trx, staff) => {
    const [removed] = await trx('pupil_contacts')
      .where({ id: contactId, pupil_id: pupilId })
      .del()
      .returning(['name', 'relationship']);
    if (!removed) throw new NotFound('contact');
    await q.writeHistory(trx, staff.schoolId, pupilId, [
      {
        field: 'contact',
        old_value: `${removed.name} (${removed.relationship})`,
        new_value: null,
        source: 'edit',
        changed_by: staff.userId,
      },
    ]);
    await audit.record(trx, staff, { action: 'pupil.contact_removed', entityType: 'pupil', entityId: pupilId });
  });
}
