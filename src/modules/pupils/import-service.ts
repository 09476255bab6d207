import crypto from 'node:crypto';
import type { Database, Tx } from '../../db/index.js';
import { type Actor, assertStaff, type StaffActor } from '../../policy/index.js';
import { Conflict, HttpError, NotFound } from '../../errors.js';
import * as audit from '../audit/index.js';
import { directory } from '../tenancy/index.js';
import { applyImport, type ConfirmOptions, type ImportSummary, StalePreview } from './import-apply.js';
import { importGate } from './import-gate.js';
import { assertLeaversConfirmed } from './import-roll.js';
import { type ImportPreview, loadExisting, planImport } from './import-plan.js';
import { namesOf } from './people.js';

/**
 * MIS import (P31): upload → preview → confirm. The preview says what would happen (new, changed,
 * unchanged, conflicts, errors by row and column); confirm applies every row in one transaction,
 * or none. A field edited in Waypoint since the last import is a conflict, never silently
 * overwritten. The file is kept with its processed date so retention can delete it (P23).
 *
 * The file is planned once, at upload, and the bounded preview is stored with it: opening the
 * preview never parses the file again. Confirm plans it again against the records as they are
 * then; if that differs from what the school saw, nothing is written and the fresh preview is
 * stored and shown. Parsing and applying run one at a time in the process (import-gate.ts).
 */

export type { ConfirmOptions, ImportSummary } from './import-apply.js';
export type { ImportPreview } from './import-plan.js';

export const maxUploadBytes = 10 * 1024 * 1024;

export class ImportNotAllowed extends HttpError {
  constructor() {
    super(
      403,
      'MIS imports are turned off for this school. A school admin can allow them in Settings › Importing from your MIS.',
    );
  }
}

async function assertAllowed(trx: Tx, staff: StaffActor): Promise<void> {
  if (!(await isAllowed(trx, staff))) throw new ImportNotAllowed();
}

const isAllowed = (trx: Tx, staff: StaffActor) => directory.misImportAllowed(trx, staff.schoolId);

/** A refusal is audited in its own transaction, since the refused one rolls back. */
async function auditRefusal<T>(db: Database, staff: StaffActor, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof ImportNotAllowed)
      await audit.recordAlone(db, staff, {
        action: 'import.refused',
        outcome: 'denied',
        entityType: 'school',
        entityId: staff.schoolId,
      });
    throw err;
  }
}

export function assertMayImport(actor: Actor): void {
  assertStaff(actor, 'pupil.import');
}

/** The preview of a file, planned against the school's pupils as they are now (outside any long transaction). */
const planPreview = (db: Database, staff: StaffActor, content: Buffer, mode: 'update' | 'full') =>
  planImport(() => db.withActor(staff, (trx) => loadExisting(trx, staff.schoolId)), content, mode).then(
    (p) => p.preview,
  );

/** Stores an uploaded file with its preview. Refused (and audited) while the MIS-import permission is off. */
export async function upload(
  db: Database,
  actor: Actor,
  file: { filename: string; content: Buffer },
  mode: 'update' | 'full',
): Promise<string> {
  const staff = assertStaff(actor, 'pupil.import');
  // Refused before it waits for its turn or is read.
  await auditRefusal(
    db,
    staff,
    db.withActor(staff, (trx) => assertAllowed(trx, staff)),
  );
  return auditRefusal(
    db,
    staff,
    importGate.run(async () => {
      const preview = await planPreview(db, staff, file.content, mode);
      return db.withActor(staff, async (trx) => {
        await assertAllowed(trx, staff);
        const [row] = await trx('import_files')
          .insert({
            school_id: staff.schoolId,
            uploaded_by: staff.userId,
            filename: file.filename.slice(0, 255),
            content: file.content,
            size_bytes: file.content.length,
            sha256: crypto.createHash('sha256').update(file.content).digest('hex'),
            mode,
            preview: JSON.stringify(preview),
            // P23: every stored file has a processed date from the start (read for the preview now;
            // moved on when it is applied or cancelled), so retention also finds files never confirmed.
            processed_at: trx.fn.now(),
          })
          .returning('id');
        await audit.record(trx, staff, {
          action: 'import.previewed',
          entityType: 'import',
          entityId: row.id,
          meta: { bytes: file.content.length, mode, errors: preview.errors.total },
        });
        return row.id as string;
      });
    }),
  );
}

export interface ImportFile {
  id: string;
  filename: string;
  mode: 'update' | 'full';
  status: string;
  created_at: Date;
  processed_at: Date | null;
  summary: ImportSummary | null;
  preview: ImportPreview | null;
  size_bytes: number;
}

/** The file's row; its content (up to 10 MB) only when asked for, since the preview does not need it. */
async function loadImport(trx: Tx, staff: StaffActor, id: string, opts: { lock?: boolean; content?: boolean } = {}) {
  const query = trx('import_files')
    .where({ id, school_id: staff.schoolId })
    .first(
      'id',
      'filename',
      'mode',
      'status',
      'created_at',
      'processed_at',
      'summary',
      'preview',
      'size_bytes',
      ...(opts.content ? ['content'] : []),
    );
  if (opts.lock) query.forUpdate();
  const row = await query;
  if (!row) throw new NotFound('import');
  return row as ImportFile & { content?: Buffer | null };
}

export async function preview(
  db: Database,
  actor: Actor,
  id: string,
): Promise<{ file: ImportFile; preview: ImportPreview | null; allowed: boolean }> {
  const staff = assertStaff(actor, 'pupil.import');
  const found = await db.withActor(staff, async (trx) => ({
    file: await loadImport(trx, staff, id),
    allowed: await isAllowed(trx, staff),
  }));
  const { file, allowed } = found;
  if (file.status !== 'previewed' || file.preview)
    return { file, preview: file.status === 'previewed' ? file.preview : null, allowed };
  // Uploaded before previews were stored with the file: work it out now (bounded, and one at a time).
  return importGate.run(async () => {
    const content = (await db.withActor(staff, (trx) => loadImport(trx, staff, id, { content: true }))).content;
    return { file, preview: content ? await planPreview(db, staff, content, file.mode) : null, allowed };
  });
}

const changedMessage =
  'Pupil records changed since you looked at the preview. Nothing was imported; review the preview again.';

/** Applies a previewed import: every row in one transaction, or none. */
export async function confirm(db: Database, actor: Actor, id: string, options: ConfirmOptions): Promise<ImportSummary> {
  const staff = assertStaff(actor, 'pupil.import');
  return auditRefusal(
    db,
    staff,
    importGate.run(async () => {
      try {
        return await db.withActor(staff, async (trx) => {
          const file = await loadImport(trx, staff, id, { lock: true, content: true });
          if (file.status !== 'previewed' || !file.content)
            throw new Conflict('This import has already been applied or cancelled.');
          await assertAllowed(trx, staff);
          // The stored preview answers these without reading the file again.
          if (file.preview?.fatal || file.preview?.errors.total)
            throw new Conflict(
              'This file still has errors. Fix them in your MIS, export again and upload the new file. Nothing was imported.',
            );
          if (file.preview && file.preview.fingerprint !== options.fingerprint) throw new Conflict(changedMessage);
          // Checked before any row is written; applyImport checks again against its fresh plan.
          if (file.preview) assertLeaversConfirmed(file.preview, options);
          const summary = await applyImport(trx, staff, { content: file.content, mode: file.mode }, options);
          await trx('import_files')
            .where({ id })
            .update({ status: 'applied', processed_at: new Date(), summary, preview: null });
          await audit.record(trx, staff, {
            action: 'import.applied',
            entityType: 'import',
            entityId: id,
            fields: ['record'],
            meta: { ...summary },
          });
          return summary;
        });
      } catch (err) {
        if (!(err instanceof StalePreview)) throw err;
        // Everything above rolled back; keep the fresh preview so the page shows what would happen now.
        await db.withActor(staff, async (trx) => {
          await trx('import_files')
            .where({ id, status: 'previewed' })
            .update({ preview: JSON.stringify(err.preview) });
          await audit.record(trx, staff, {
            action: 'import.previewed',
            entityType: 'import',
            entityId: id,
            meta: { refreshed: true, errors: err.preview.errors.total },
          });
        });
        throw new Conflict(changedMessage);
      }
    }),
  );
}

export async function cancel(db: Database, actor: Actor, id: string): Promise<void> {
  const staff = assertStaff(actor, 'pupil.import');
  await db.withActor(staff, async (trx) => {
    const file = await loadImport(trx, staff, id, { lock: true });
    if (file.status !== 'previewed') return;
    await trx('import_files').where({ id }).update({ status: 'cancelled', processed_at: trx.fn.now(), preview: null });
    await audit.record(trx, staff, { action: 'import.cancelled', entityType: 'import', entityId: id });
  });
}

/** The school's recent imports, and whether imports are allowed now. */
export async function history(db: Database, actor: Actor) {
  const staff = assertStaff(actor, 'pupil.import');
  return db.withActor(staff, async (trx) => {
    const allowed = await isAllowed(trx, staff);
    const files: { uploaded_by: string | null }[] = await trx('import_files as i')
      .where('i.school_id', staff.schoolId)
      .select(
        'i.id',
        'i.filename',
        'i.mode',
        'i.status',
        'i.created_at',
        'i.processed_at',
        'i.summary',
        'i.size_bytes',
        'i.uploaded_by',
      )
      .orderBy('i.created_at', 'desc')
      .limit(20);
    const nameOf = await namesOf(
      trx,
      files.map((f) => f.uploaded_by),
    );
    const imports = files.map(({ uploaded_by, ...f }) => ({ ...f, uploaded_by_name: nameOf(uploaded_by) }));
    return { allowed, imports };
  });
}
