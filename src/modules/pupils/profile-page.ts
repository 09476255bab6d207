import type { Request, Response } from 'express';
import type { AppDeps } from '../../http/deps.js';
import { flash } from '../../http/flash.js';
import { type FieldErrors, newSubmissionKey, uuidParam } from '../../http/forms.js';
import { actorOf } from '../../http/guards.js';
import { ukDate } from '../../lib/dates.js';
import { can } from '../../policy/index.js';
import { labels } from './list-routes.js';
import { knownAs } from '../../lib/names.js';
import * as profiles from './profile-service.js';

import type { ProfileSection } from './profile-section.js';

export type { ProfileSection, ProfileSectionContext } from './profile-section.js';

/** The profile page, shared by its own route and by every form on it that shows it again with errors. */
export function profilePage(deps: AppDeps, sections: readonly ProfileSection[]) {
  const { renderer, db } = deps;

  const data = async (req: Request) => {
    const actor = actorOf(req);
    const id = uuidParam(req, 'id', 'pupil');
    const { extra, ...profile } = await profiles.getProfile(db, actor, id, sections);
    // One-time keys for the add forms on the profile, so a double submit adds one row (R4).
    const formKeys = { contact: newSubmissionKey(), fsm: newSubmissionKey(), flag: newSubmissionKey() };
    return { ...profile, ...extra, formKeys };
  };

  const show = async (req: Request, res: Response, errors: FieldErrors = {}, values: object = {}, status = 200) => {
    const page = await data(req);
    const p = page.pupil;
    renderer.render(
      req,
      res,
      'pupils/profile',
      {
        title: `${knownAs(p)} ${p.surname}`,
        ...page,
        labels,
        ukDate,
        errors,
        values,
        canManageFlags: can(actorOf(req), 'support_flag.manage'),
        canReadAudit: can(actorOf(req), 'audit.read'),
      },
      { status },
    );
  };

  const print = async (req: Request, res: Response) => {
    const page = await data(req);
    const p = page.pupil;
    renderer.render(req, res, 'pupils/print', {
      title: `${knownAs(p)} ${p.surname}`,
      ...page,
      labels,
      ukDate,
      printedAt: new Date(),
    });
  };

  return {
    show,
    print,
    /** A form on the profile was refused: the profile again with its errors and what was typed (422 unless given). */
    withErrors: (req: Request, res: Response, errors: FieldErrors, values: object, status = 422) =>
      show(req, res, errors, values, status),
    /** Saved: back to the profile with a message. */
    back: (req: Request, res: Response, message: string) => {
      flash(req, message);
      res.redirect(303, `/pupils/${uuidParam(req, 'id', 'pupil')}`);
    },
  };
}

export type ProfilePage = ReturnType<typeof profilePage>;
