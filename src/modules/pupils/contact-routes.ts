import { type Request, type Response, Router } from 'express';
import type { AppDeps } from '../../http/deps.js';
import { FieldError, formPost } from '../../http/form-page.js';
import { uuidParam } from '../../http/forms.js';
import { actorOf } from '../../http/guards.js';
import { Conflict } from '../../errors.js';
import * as contacts from './contacts-service.js';
import type { ProfilePage } from './profile-page.js';
import { contactForEdit } from './profile-service.js';
import * as schemas from './schemas.js';

/** A pupil's contacts: added from the profile, changed on their own small form. */
export function contactRoutes(deps: AppDeps, profile: ProfilePage): Router {
  const router = Router();
  const { renderer, db } = deps;

  router.post(
    '/pupils/:id/contacts',
    formPost({
      schema: schemas.contactForm,
      page: (req, res, state, status) => profile.withErrors(req, res, state.errors, { contact: state.values }, status),
      save: async (req, res, { version: _v, submissionKey, ...contact }) => {
        await contacts.addContact(db, actorOf(req), uuidParam(req, 'id', 'pupil'), contact, submissionKey);
        profile.back(req, res, 'Contact added.');
      },
    }),
  );

  // The edit form reads the pupil and this one contact only, not the whole profile.
  const contactPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const { pupil, contact } = await contactForEdit(
      db,
      actorOf(req),
      uuidParam(req, 'id', 'pupil'),
      uuidParam(req, 'cid', 'contact'),
    );
    renderer.render(
      req,
      res,
      'pupils/contact-edit',
      { title: 'Change a contact', pupil, contact, values: contact, errors: {}, ...extra },
      { status },
    );
  };

  router.get('/pupils/:id/contacts/:cid/edit', (req, res) => contactPage(req, res));

  /** R5: the form keeps what was typed, shows both versions, and carries the current version. */
  const contactConflict = async (req: Request, res: Response) => {
    const { contact } = await contactForEdit(
      db,
      actorOf(req),
      uuidParam(req, 'id', 'pupil'),
      uuidParam(req, 'cid', 'contact'),
    );
    const current = contact as unknown as Record<string, unknown>;
    const yours = req.body as Record<string, string>;
    const labels: Record<string, string> = {
      name: 'Name',
      relationship: 'Relationship',
      phone: 'Phone',
      email: 'Email',
      address: 'Address',
      priority: 'Priority',
    };
    const conflict = Object.entries(labels)
      .filter(([f]) => String(yours[f] ?? '').trim() !== String(current[f] ?? ''))
      .map(([f, label]) => ({ label, yours: yours[f], current: current[f] === null ? '' : String(current[f]) }));
    return contactPage(req, res, { values: yours, conflict }, 409);
  };

  router.post(
    '/pupils/:id/contacts/:cid',
    formPost({
      schema: schemas.contactForm,
      page: (req, res, state, status) => contactPage(req, res, { errors: state.errors, values: state.values }, status),
      save: async (req, res, { version, submissionKey: _k, ...contact }) => {
        if (!version) throw new FieldError('form', 'The form is out of date. Reload the page.');
        try {
          await contacts.updateContact(
            db,
            actorOf(req),
            uuidParam(req, 'id', 'pupil'),
            uuidParam(req, 'cid', 'contact'),
            contact,
            version,
          );
        } catch (err) {
          if (err instanceof Conflict) return contactConflict(req, res);
          throw err;
        }
        profile.back(req, res, 'Contact saved.');
      },
    }),
  );

  router.post('/pupils/:id/contacts/:cid/remove', async (req, res) => {
    await contacts.removeContact(db, actorOf(req), uuidParam(req, 'id', 'pupil'), uuidParam(req, 'cid', 'contact'));
    profile.back(req, res, 'Contact removed.');
  });

  return router;
}
