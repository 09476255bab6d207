import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../http/deps.js';
import { flash } from '../../http/flash.js';
import { checkedValues, newSubmissionKey, submissionKey, uuid, uuidParam, version } from '../../http/forms.js';
import { formPost } from '../../http/form-page.js';
import { actorOf, requireSignIn } from '../../http/guards.js';
import { can } from '../../policy/index.js';
import { NotFound } from '../../errors.js';
import { date, requiredExactText } from '../../lib/form-fields.js';
import * as notes from './notes-service.js';

const noteForm = z.object({
  sensitivity: z.enum(['standard', 'restricted'], { error: 'Choose who may read the note' }),
  body: requiredExactText('the note', 10000),
  submissionKey,
});
const noteEditForm = z.object({ body: requiredExactText('the note', 10000), version });
const observationForm = z.object({
  observed_on: date('the date', true),
  body: requiredExactText('what you saw', 2000),
  item_ids: checkedValues(uuid),
  submissionKey,
});

/** A pupil's observations and notes. Reading them is audited (L1); their text never is. */
export function notesRoutes(deps: AppDeps): Router {
  const router = Router();
  const { renderer, db } = deps;

  const page = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const data = await notes.notesPage(db, actorOf(req), uuidParam(req, 'id', 'pupil'));
    renderer.render(
      req,
      res,
      'assessments/notes',
      {
        title: 'Observations and notes',
        ...data,
        errors: {},
        values: {},
        noteKey: newSubmissionKey(),
        observationKey: newSubmissionKey(),
        today: new Date().toISOString().slice(0, 10).split('-').reverse().join('/'),
        ...extra,
      },
      { status },
    );
  };

  router.get('/pupils/:id/notes', requireSignIn, (req, res) => page(req, res));

  router.post(
    '/pupils/:id/notes',
    requireSignIn,
    formPost({
      schema: noteForm,
      page: (req, res, { errors, values, submissionKey: noteKey }, status) =>
        page(req, res, { errors, values: { note: values }, noteKey }, status),
      save: async (req, res, data) => {
        await notes.writeNote(db, actorOf(req), uuidParam(req, 'id', 'pupil'), data);
        flash(
          req,
          data.sensitivity === 'restricted'
            ? 'Restricted note saved. Only the DSL, the head, the school admin and you can read it.'
            : 'Note saved.',
        );
        res.redirect(303, `/pupils/${req.params.id}/notes`);
      },
    }),
  );

  const editPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const data = await notes.notesPage(db, actorOf(req), uuidParam(req, 'id', 'pupil'));
    const note = data.notes.find((n) => n.id === req.params.noteId);
    const actor = actorOf(req);
    // The policy decides authorship (note.edit); a note someone else wrote is not found, not forbidden.
    if (!note || !can(actor, 'note.edit', { authorId: note.author_id })) throw new NotFound('note you wrote');
    renderer.render(
      req,
      res,
      'assessments/note-edit',
      { title: 'Change a note', pupil: data.pupil, note, errors: {}, values: { body: note.body }, ...extra },
      { status },
    );
  };

  router.get('/pupils/:id/notes/:noteId/edit', requireSignIn, (req, res) => editPage(req, res));

  router.post(
    '/pupils/:id/notes/:noteId',
    requireSignIn,
    formPost({
      schema: noteEditForm,
      conflictField: 'body',
      page: (req, res, state, status) => editPage(req, res, { ...state }, status),
      save: async (req, res, data) => {
        await notes.updateNote(
          db,
          actorOf(req),
          uuidParam(req, 'id', 'pupil'),
          uuidParam(req, 'noteId', 'note'),
          data.body,
          data.version,
        );
        flash(req, 'Note saved.');
        res.redirect(303, `/pupils/${req.params.id}/notes`);
      },
    }),
  );

  router.post(
    '/pupils/:id/observations',
    requireSignIn,
    formPost({
      schema: observationForm,
      lists: ['item_ids'],
      page: (req, res, { errors, values, submissionKey: observationKey }, status) =>
        page(req, res, { errors, values: { observation: values }, observationKey }, status),
      save: async (req, res, data) => {
        await notes.recordObservation(db, actorOf(req), uuidParam(req, 'id', 'pupil'), {
          ...data,
          observed_on: data.observed_on!,
        });
        flash(req, 'Observation saved.');
        res.redirect(303, `/pupils/${req.params.id}/notes`);
      },
    }),
  );

  return router;
}
