import { type Request, type Response, Router } from 'express';
import type { AppDeps } from '../../http/deps.js';
import { flash } from '../../http/flash.js';
import { newSubmissionKey, parseForm, uuidParam } from '../../http/forms.js';
import { actorOf, requireSignIn } from '../../http/guards.js';
import { parseQuery } from '../../http/query.js';
import { Conflict, NotFound } from '../../errors.js';
import { yearGroupLabel, yearGroups } from '../../lib/year-groups.js';
import { groupWithPupils } from './group-access.js';
import * as groups from './group-service.js';
import * as schemas from './schemas.js';

export const kindLabels = { class: 'Class', set: 'Set', intervention: 'Intervention group' };

/** Managing classes, sets and intervention groups (leaders). The class page itself is assessments'. */
export function groupRoutes(deps: AppDeps): Router {
  const router = Router();
  const { renderer, db } = deps;
  router.use('/groups', requireSignIn);

  router.get('/groups', async (req, res) => {
    const showArchived = parseQuery(schemas.groupsQuery, req.query).archived === '1';
    const list = await groups.listGroups(db, actorOf(req), showArchived);
    renderer.render(req, res, 'pupils/groups', {
      title: 'Classes and groups',
      groups: list,
      kindLabels,
      yearGroupLabel,
      showArchived,
    });
  });

  const groupForm = (req: Request, res: Response, data: Record<string, unknown>, status = 200) =>
    renderer.render(
      req,
      res,
      'pupils/group-form',
      { errors: {}, kindLabels, yearGroups, yearGroupLabel, ...data },
      { status },
    );

  router.get('/groups/new', async (req, res) => {
    groups.assertMayManage(actorOf(req));
    groupForm(req, res, {
      title: 'Add a class or group',
      values: { kind: 'class' },
      action: '/groups',
      submissionKey: newSubmissionKey(),
    });
  });

  router.post('/groups', async (req, res) => {
    const parsed = parseForm(schemas.groupForm, req.body);
    if (!parsed.ok)
      return groupForm(
        req,
        res,
        {
          title: 'Add a class or group',
          values: req.body,
          action: '/groups',
          submissionKey: req.body?.submissionKey,
          errors: parsed.errors,
        },
        422,
      );
    const { archived: _a, version: _v, submissionKey, ...input } = parsed.data;
    const id = await groups.createGroup(db, actorOf(req), input, submissionKey);
    flash(req, `${input.name} created. Now add its pupils.`);
    res.redirect(303, id ? `/groups/${id}` : '/groups');
  });

  router.get('/groups/:id/edit', async (req, res) => {
    const id = uuidParam(req, 'id', 'class or group');
    const group = (await groups.listGroups(db, actorOf(req), true)).find((g: { id: string }) => g.id === id);
    if (!group) throw new NotFound('class or group');
    const full = (await groupWithPupils(db, actorOf(req), id)).group;
    groupForm(req, res, {
      title: `Change ${group.name}`,
      values: { ...full, archived: full.archived_at ? 'on' : '' },
      version: full.version,
      action: `/groups/${id}`,
      groupId: id,
    });
  });

  router.post('/groups/:id', async (req, res) => {
    const id = uuidParam(req, 'id', 'class or group');
    const parsed = parseForm(schemas.groupForm, req.body);
    if (!parsed.ok || !parsed.data.version) {
      return groupForm(
        req,
        res,
        {
          title: 'Change class or group',
          values: req.body,
          version: req.body?.version,
          action: `/groups/${id}`,
          groupId: id,
          errors: parsed.ok ? { name: 'The form is out of date. Reload the page.' } : parsed.errors,
        },
        422,
      );
    }
    const { version, submissionKey: _k, ...input } = parsed.data;
    try {
      await groups.updateGroup(db, actorOf(req), id, input, version);
    } catch (err) {
      if (err instanceof Conflict)
        return groupForm(
          req,
          res,
          {
            title: 'Change class or group',
            values: req.body,
            version,
            action: `/groups/${id}`,
            groupId: id,
            errors: { name: err.publicMessage },
          },
          409,
        );
      throw err;
    }
    flash(req, 'Saved.');
    res.redirect(303, `/groups/${id}`);
  });

  return router;
}

/**
 * Shows the class page again, with errors, when a form on it is refused. The class page is
 * assessments' (it shows their data), so assessments passes this in when it mounts these routes.
 */
export type ClassPage = (req: Request, res: Response, extra: Record<string, unknown>, status: number) => Promise<void>;

/** The forms on the class page: its pupils and its staff. */
export function groupMemberRoutes(deps: AppDeps, classPage: ClassPage): Router {
  const router = Router();
  const { db } = deps;
  router.use('/groups', requireSignIn);
  const groupPage = classPage;

  router.post('/groups/:id/members', async (req, res) => {
    const parsed = parseForm(schemas.addMembersForm, req.body);
    if (!parsed.ok) return groupPage(req, res, { errors: parsed.errors }, 422);
    await groups.addMembers(db, actorOf(req), uuidParam(req, 'id', 'class or group'), parsed.data.pupilIds);
    flash(req, parsed.data.pupilIds.length === 1 ? 'Pupil added.' : `${parsed.data.pupilIds.length} pupils added.`);
    res.redirect(303, `/groups/${req.params.id}`);
  });

  router.post('/groups/:id/members/:pupilId/remove', async (req, res) => {
    await groups.removeMember(
      db,
      actorOf(req),
      uuidParam(req, 'id', 'class or group'),
      uuidParam(req, 'pupilId', 'pupil'),
    );
    flash(req, 'Pupil removed from the group. Their records are unchanged.');
    res.redirect(303, `/groups/${req.params.id}`);
  });

  router.post('/groups/:id/staff', async (req, res) => {
    const parsed = parseForm(schemas.assignStaffForm, req.body);
    if (!parsed.ok) return groupPage(req, res, { errors: parsed.errors }, 422);
    await groups.assignStaff(
      db,
      actorOf(req),
      uuidParam(req, 'id', 'class or group'),
      parsed.data.userId,
      parsed.data.role,
    );
    flash(req, 'Staff assignment saved.');
    res.redirect(303, `/groups/${req.params.id}`);
  });

  router.post('/groups/:id/staff/:userId/remove', async (req, res) => {
    await groups.unassignStaff(
      db,
      actorOf(req),
      uuidParam(req, 'id', 'class or group'),
      uuidParam(req, 'userId', 'staff member'),
    );
    flash(req, 'Removed from the group.');
    res.redirect(303, `/groups/${req.params.id}`);
  });

  return router;
}
