import type { Database } from '../../db/index.js';
import { firstSubmission } from '../../db/idempotency.js';
import { lockFresh } from '../../db/versioned.js';
import { type Actor, assert, assertStaff, can } from '../../policy/index.js';
import { NotFound } from '../../errors.js';
import * as audit from '../audit/index.js';
import { loadPupilForStaff } from '../pupils/index.js';
import { directory } from '../tenancy/index.js';
import { loadFrameworks } from './frameworks-service.js';

/**
 * Observations and notes (P6). Note bodies are special-category data: they never reach logs or
 * audit rows (P13, L2). The text of a restricted note is readable only by the DSL, the head, the
 * school admin and its author; others who can see the pupil see that restricted notes exist and how
 * many. Row-level security enforces the same on `note_bodies`.
 */

export interface NoteView {
  id: string;
  sensitivity: 'standard' | 'restricted';
  author_id: string;
  author_name: string;
  created_at: Date;
  updated_at: Date;
  version: number;
  body: string | null;
}

export async function notesPage(db: Database, actor: Actor, pupilId: string) {
  const staff = assertStaff(actor, 'note.read');
  return db.withActor(staff, async (trx) => {
    const pupil = await loadPupilForStaff(trx, staff, pupilId);
    const rows: Omit<NoteView, 'author_name'>[] = await trx('notes as n')
      .leftJoin('note_bodies as b', 'b.note_id', 'n.id')
      .where({ 'n.school_id': staff.schoolId, 'n.pupil_id': pupilId })
      .select('n.id', 'n.sensitivity', 'n.author_id', 'n.created_at', 'n.updated_at', 'n.version', 'b.body')
      .orderBy('n.created_at', 'desc');
    // The policy decides again what the database returned: a restricted body only for its circle.
    const readable = rows.filter((n) => can(staff, 'note.read', { sensitivity: n.sensitivity, authorId: n.author_id }));
    const hiddenRestricted = rows.length - readable.length;
    const frameworks = await loadFrameworks(trx, staff.schoolId);
    const wellbeing = frameworks.find((f) => f.kind === 'wellbeing');
    const observationRows: { id: string; observed_on: string; body: string; item_ids: string[]; author_id: string }[] =
      await trx('observations as o')
        .where({ 'o.school_id': staff.schoolId, 'o.pupil_id': pupilId })
        .select('o.id', 'o.observed_on', 'o.body', 'o.item_ids', 'o.author_id')
        .orderBy([
          { column: 'o.observed_on', order: 'desc' },
          { column: 'o.created_at', order: 'desc' },
        ]);
    const names = await directory.displayNames(
      trx,
      [...readable, ...observationRows].map((r) => r.author_id),
    );
    const visible: NoteView[] = readable.map((n) => ({ ...n, author_name: names.get(n.author_id) ?? '' }));
    const observations = observationRows.map(({ author_id, ...o }) => ({
      ...o,
      author_name: names.get(author_id) ?? '',
    }));
    await audit.recordRead(trx, staff, {
      action: 'note.viewed',
      entityType: 'pupil',
      entityId: pupilId,
      meta: { notes: visible.length, observations: observations.length },
    });
    return {
      pupil,
      notes: visible,
      hiddenRestricted,
      observations,
      domains: wellbeing?.items ?? [],
      canWrite: can(staff, 'note.write', { restricted: !!pupil.restricted_at }),
      canObserve: can(staff, 'observation.record', { restricted: !!pupil.restricted_at }),
    };
  });
}

export interface NoteInput {
  sensitivity: 'standard' | 'restricted';
  body: string;
  submissionKey?: string | undefined;
}

export async function writeNote(db: Database, actor: Actor, pupilId: string, input: NoteInput): Promise<void> {
  const staff = assertStaff(actor, 'note.write');
  await db.withActor(staff, async (trx) => {
    const pupil = await loadPupilForStaff(trx, staff, pupilId);
    assert(staff, 'note.write', { restricted: !!pupil.restricted_at });
    if (!(await firstSubmission(trx, staff.userId, input.submissionKey))) return;
    const [note] = await trx('notes')
      .insert({ school_id: staff.schoolId, pupil_id: pupilId, sensitivity: input.sensitivity, author_id: staff.userId })
      .returning('id');
    await trx('note_bodies').insert({ note_id: note.id, school_id: staff.schoolId, body: input.body });
    await audit.record(trx, staff, {
      action: 'note.written',
      entityType: 'pupil',
      entityId: pupilId,
      fields: ['body'],
      meta: { sensitivity: input.sensitivity },
    });
  });
}

/**
 * Only a note's author may change its text, and not while the pupil's record is restricted (P29):
 * the policy answers both from the facts loaded here. A stale edit is refused (R5).
 */
export async function updateNote(
  db: Database,
  actor: Actor,
  pupilId: string,
  noteId: string,
  body: string,
  version: number,
): Promise<void> {
  const staff = assertStaff(actor, 'note.write');
  await db.withActor(staff, async (trx) => {
    const pupil = await loadPupilForStaff(trx, staff, pupilId);
    const note = await trx('notes').where({ id: noteId, pupil_id: pupilId }).first('author_id');
    if (!note) throw new NotFound('note');
    assert(staff, 'note.edit', { restricted: !!pupil.restricted_at, authorId: note.author_id });
    const locked = await lockFresh<{ version: number }>(trx('notes').where({ id: noteId }), version, {
      what: 'note',
      conflict: 'This note was changed after you opened it. Nothing was saved; reload it and try again.',
    });
    await trx('note_bodies').where({ note_id: noteId }).update({ body });
    await trx('notes')
      .where({ id: noteId })
      .update({ version: locked.version + 1, updated_at: trx.fn.now() });
    await audit.record(trx, staff, {
      action: 'note.updated',
      entityType: 'pupil',
      entityId: pupilId,
      fields: ['body'],
    });
  });
}

export interface ObservationInput {
  observed_on: string;
  body: string;
  item_ids: string[];
  submissionKey?: string | undefined;
}

export async function recordObservation(
  db: Database,
  actor: Actor,
  pupilId: string,
  input: ObservationInput,
): Promise<void> {
  const staff = assertStaff(actor, 'observation.record');
  await db.withActor(staff, async (trx) => {
    const pupil = await loadPupilForStaff(trx, staff, pupilId);
    assert(staff, 'observation.record', { restricted: !!pupil.restricted_at });
    if (!(await firstSubmission(trx, staff.userId, input.submissionKey))) return;
    const domains = new Set((await loadFrameworks(trx, staff.schoolId)).flatMap((f) => f.items.map((i) => i.id)));
    if (input.item_ids.some((id) => !domains.has(id))) throw new NotFound('domain');
    await trx('observations').insert({
      school_id: staff.schoolId,
      pupil_id: pupilId,
      observed_on: input.observed_on,
      body: input.body,
      item_ids: input.item_ids,
      author_id: staff.userId,
    });
    await audit.record(trx, staff, {
      action: 'observation.recorded',
      entityType: 'pupil',
      entityId: pupilId,
      fields: ['body', 'domains'],
    });
  });
}
