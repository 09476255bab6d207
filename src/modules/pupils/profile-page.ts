import type { Request, Response } from 'express';
import type { Tx } from '../../db/index.js';
import type { AppDeps } from '../../http/deps.js';
import { flash } from '../../http/flash.js';
import { type FieldErrors, newSubmissionKey, uuidParam } from '../../http/forms.js';
import { actorOf } from '../../http/guards.js';
import { ukDate } from '../../lib/dates.js';
import { can, type StaffActor } from '../../policy/index.js';
import { labels } from './list-routes.js';
import { knownAs } from '../../lib/names.js';
import * as profiles from './profile-service.js';

/** What a profile section is given: the profile's own transaction and what it has read already. */
export interface ProfileSectionContext {
  /** The profile's transaction: one BEGIN and one COMMIT (with every section's audit row) per page. */
  trx: Tx;
  actor: StaffActor;
  /** A pupil this actor may see: the profile has read it (its row-level security is the pupil scope). */
  pupilId: string;
  /** Every group the pupil is a member of, archived ones included. */
  groupIds: readonly string[];
}

/**
 * What a higher module adds to the pupil profile and its print view (assessments adds progress,
 * interventions and its buttons). Pupils knows nothing of it: the higher module passes its
 * sections in when it mounts the pupil pages. It runs after the profile is read, in the same
 * transaction, so a pupil the actor may not see is refused before any section reads anything.
 */
export type ProfileSection = (ctx: ProfileSectionContext) => Promise<Record<string, unknown>>;

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
