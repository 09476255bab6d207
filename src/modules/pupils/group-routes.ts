import { type Request, type Response, Router } from 'express';
import type { AppDeps } from '../../http/deps.js';
import { flash } from '../../http/flash.js';
import { FieldError, type FormState, formPost } from '../../http/form-page.js';
import { newSubmissionKey, uuidParam } from '../../http/forms.js';
import { actorOf, requireSignIn } from '../../http/guards.js';
import { parseQuery } from '../../http/query.js';
import { Conflict, NotFound } from '../../errors.js';
import { yearGroupLabel, yearGroups as allYearGroups } from '../../lib/year-groups.js';
import { groupWithPupils } from './group-access.js';
import * as groups from './group-service.js';
import { yearGroupChoices } from './school-order.js';
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

  // The school's own year groups, and the group's current one if it is outside them.
  const groupForm = async (req: Request, res: Response, data: Record<string, unknown>, status = 200) => {
    const current = (data.values as { year_group?: unknown } | undefined)?.year_group;
    const offered = new Set<string>(await yearGroupChoices(db, actorOf(req)));
    if (typeof current === 'string') offered.add(current);
    const yearGroups = allYearGroups.filter((y) => offered.has(y));
    renderer.render(
      req,
      res,
      'pupils/group-form',
      { errors: {}, kindLabels, yearGroups, yearGroupLabel, ...data },
      { status },
    );
  };

  router.get('/groups/new', async (req, res) => {
    groups.assertMayManage(actorOf(req));
    return groupForm(req, res, {
      title: 'Add a class or group',
      values: { kind: 'class' },
      action: '/groups',
      submissionKey: newSubmissionKey(),
    });
  });

  router.post(
    '/groups',
    formPost({
      schema: schemas.groupForm,
      page: (req, res, state, status) =>
        groupForm(
          req,
          res,
          {
            title: 'Add a class or group',
            values: state.values,
            action: '/groups',
            submissionKey: state.submissionKey,
            errors: state.errors,
          },
          status,
        ),
      save: async (req, res, { archived: _a, version: _v, submissionKey, ...input }) => {
        const id = await groups.createGroup(db, actorOf(req), input, submissionKey);
        flash(req, `${input.name} created. Now add its pupils.`);
        res.redirect(303, id ? `/groups/${id}` : '/groups');
      },
    }),
  );

  router.get('/groups/:id/edit', async (req, res) => {
    const id = uuidParam(req, 'id', 'class or group');
    const group = (await groups.listGroups(db, actorOf(req), true)).find((g: { id: string }) => g.id === id);
    if (!group) throw new NotFound('class or group');
    const full = (await groupWithPupils(db, actorOf(req), id)).group;
    return groupForm(req, res, {
      title: `Change ${group.name}`,
      values: { ...full, archived: full.archived_at ? 'on' : '' },
      version: full.version,
      action: `/groups/${id}`,
      groupId: id,
    });
  });

  router.post(
    '/groups/:id',
    formPost({
      schema: schemas.groupForm,
      page: (req, res, state, status) => {
        const id = uuidParam(req, 'id', 'class or group');
        return groupForm(
          req,
          res,
          {
            title: 'Change class or group',
            values: state.values,
            version: state.values.version,
            action: `/groups/${id}`,
            groupId: id,
            errors: state.errors,
          },
          status,
        );
      },
      save: async (req, res, { version, submissionKey: _k, ...input }) => {
        const id = uuidParam(req, 'id', 'class or group');
        if (!version) throw new FieldError('name', 'The form is out of date. Reload the page.');
        try {
          await groups.updateGroup(db, actorOf(req), id, input, version);
        } catch (err) {
          // R5: shown beside the name, with what was typed, at the version they read.
          if (err instanceof Conflict) throw new FieldError('name', err.publicMessage, 409);
          throw err;
        }
        flash(req, 'Saved.');
        res.redirect(303, `/groups/${id}`);
      },
    }),
  );

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

  // The forms on the class page show it again with only their messages.
  const onClassPage = (req: Request, res: Response, state: FormState, status: number) =>
    groupPage(req, res, { errors: state.errors }, status);

  router.post(
    '/groups/:id/members',
    formPost({
      schema: schemas.addMembersForm,
      page: onClassPage,
      save: async (req, res, { pupilIds }) => {
        await groups.addMembers(db, actorOf(req), uuidParam(req, 'id', 'class or group'), pupilIds);
        flash(req, pupilIds.length === 1 ? 'Pupil added.' : `${pupilIds.length} pupils added.`);
        res.redirect(303, `/groups/${req.params.id}`);
      },
    }),
  );

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

  router.post(
    '/groups/:id/staff',
    formPost({
      schema: schemas.assignStaffForm,
      page: onClassPage,
      save: async (req, res, data) => {
        await groups.assignStaff(db, actorOf(req), uuidParam(req, 'id', 'class or group'), data.userId, data.role);
        flash(req, 'Staff assignment saved.');
        res.redirect(303, `/groups/${req.params.id}`);
      },
    }),
  );

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
