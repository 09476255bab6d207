import path from 'node:path';
import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../http/deps.js';
import { flash } from '../../http/flash.js';
import { formPost } from '../../http/form-page.js';
import { uuidParam } from '../../http/forms.js';
import { actorOf, requireSignIn } from '../../http/guards.js';
import { singleFileUpload } from '../../http/uploads.js';
import { BadRequest, Conflict, FieldError } from '../../errors.js';
import { paths } from '../../paths.js';
import { toCsv } from './csv.js';
import { csvColumns, requiredColumns, derivedColumns } from './import-format.js';
import { errorLimits } from './import-errors.js';
import { mostOfSchoolLeaves } from './import-roll.js';
import * as imports from './import-service.js';
import { date, requiredExactText } from '../../lib/form-fields.js';
import { yearGroupLabel } from '../../lib/year-groups.js';

const confirmForm = z
  .object({
    fingerprint: z.string().regex(/^[0-9a-f]{32}$/, 'The preview is out of date. Reload it.'),
    overwrite: z
      .string()
      .optional()
      .transform((v) => v === 'on'),
    mark_leavers: z
      .string()
      .optional()
      .transform((v) => v === 'on'),
    leaving_date: date('the leaving date'),
    leaving_reason: z.string().optional(),
    leavers_count: z.string().optional(),
  })
  .transform((v, ctx) => {
    if (!v.mark_leavers) return { ...v, leavers: null };
    if (!v.leaving_date)
      ctx.addIssue({
        code: 'custom',
        path: ['leaving_date'],
        message: 'Enter the leaving date for the pupils not in the file',
      });
    const reason = requiredExactText('a leaving reason', 200).safeParse(v.leaving_reason ?? '');
    if (!reason.success)
      ctx.addIssue({ code: 'custom', path: ['leaving_reason'], message: reason.error.issues[0]!.message });
    return {
      ...v,
      leavers: v.leaving_date && reason.success ? { leaving_date: v.leaving_date, leaving_reason: reason.data } : null,
    };
  });

export const sampleFile = path.join(paths.root, 'docs', 'sample-mis-import.csv');

const dateFields = new Set(['date_of_birth', 'admission_date', 'leaving_date', 'fsm_periods']);

/** A value in the preview as the rest of Waypoint shows it: dates as 14/02/2019, years as "Year 3". */
export function shownValue(field: string, value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '(blank)';
  if (field === 'year_group') return yearGroupLabel(value);
  if (dateFields.has(field)) return value.replace(/\b(\d{4})-(\d{2})-(\d{2})\b/g, '$3/$2/$1');
  return value;
}

/** MIS import: upload, preview, confirm or cancel (P31). */
export function importRoutes(deps: AppDeps): Router {
  const router = Router();
  const { renderer, db } = deps;
  router.use('/pupils/import', requireSignIn);

  const startPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const data = await imports.history(db, actorOf(req));
    renderer.render(
      req,
      res,
      'pupils/import',
      {
        title: 'Import pupils from your MIS',
        ...data,
        errors: {},
        values: { mode: 'update' },
        columns: csvColumns,
        requiredColumns,
        derivedColumns,
        maxMb: imports.maxUploadBytes / 1024 / 1024,
        ...extra,
      },
      { status },
    );
  };

  router.get('/pupils/import', (req, res) => startPage(req, res));

  router.get('/pupils/import/sample.csv', (req, res) => {
    imports.assertMayImport(actorOf(req));
    res.download(sampleFile, 'waypoint-sample-mis-import.csv');
  });

  // Multipart: the file is checked by hand (multer), not by a zod schema, so this is not a formPost.
  router.post('/pupils/import', ...singleFileUpload('file', imports.maxUploadBytes), async (req, res) => {
    const mode = req.body?.mode === 'full' ? 'full' : 'update';
    if (!req.file)
      return startPage(req, res, { errors: { file: 'Choose a CSV file to upload' }, values: { mode } }, 422);
    const id = await imports.upload(
      db,
      actorOf(req),
      { filename: req.file.originalname, content: req.file.buffer },
      mode,
    );
    res.redirect(303, `/pupils/import/${id}`);
  });

  const importId = (req: Request) => uuidParam(req, 'id', 'import');

  const previewPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const data = await imports.preview(db, actorOf(req), importId(req));
    renderer.render(
      req,
      res,
      'pupils/import-preview',
      {
        title: 'Check the import',
        ...data,
        mostLeave: data.preview ? mostOfSchoolLeaves(data.preview) : false,
        shownValue,
        errors: {},
        values: {},
        limits: errorLimits,
        ...extra,
      },
      { status },
    );
  };

  router.get('/pupils/import/:id', (req, res) => previewPage(req, res));

  router.get('/pupils/import/:id/errors.csv', async (req, res) => {
    const { preview, file } = await imports.preview(db, actorOf(req), importId(req));
    if (!preview) throw new BadRequest('This import has no errors to download.');
    const { kept, total } = preview.errors;
    const rows: (string | number)[][] = kept.map((e) => [e.row, e.column, e.message]);
    // Only the first problems are kept (import-errors.ts); say how many more there are.
    if (total > kept.length)
      rows.push([
        '',
        '',
        `…and ${total - kept.length} more problems not listed (${total} in all). Fix these, export again and upload the new file to see the rest.`,
      ]);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="import-errors-${file.id.slice(0, 8)}.csv"`);
    res.send(toCsv(['row', 'column', 'problem'], rows));
  });

  router.post(
    '/pupils/import/:id/confirm',
    formPost({
      schema: confirmForm,
      page: (req, res, state, status) => previewPage(req, res, { errors: state.errors, values: state.values }, status),
      save: async (req, res, data) => {
        let summary: imports.ImportSummary;
        try {
          summary = await imports.confirm(db, actorOf(req), importId(req), {
            fingerprint: data.fingerprint,
            overwriteConflicts: data.overwrite,
            leavers: data.leavers,
            typedLeaverCount: data.leavers_count,
          });
        } catch (err) {
          // The preview is shown again (refreshed when the records moved on) with why nothing was imported.
          if (err instanceof Conflict) throw new FieldError('form', err.publicMessage, 409);
          throw err;
        }
        flash(
          req,
          `Import applied: ${summary.created} new, ${summary.updated} changed, ${summary.unchanged} unchanged${summary.leaversMarked ? `, ${summary.leaversMarked} marked as left` : ''}${summary.groupsCreated ? `, ${summary.groupsCreated} new classes` : ''}.`,
        );
        res.redirect(303, `/pupils/import/${importId(req)}`);
      },
    }),
  );

  router.post('/pupils/import/:id/cancel', async (req, res) => {
    await imports.cancel(db, actorOf(req), importId(req));
    flash(req, 'Import cancelled. Nothing was changed.', 'info');
    res.redirect(303, '/pupils/import');
  });

  return router;
}
