import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../http/deps.js';
import { actorOf, requireSignIn } from '../../http/guards.js';
import { parseFilters, queryChoice, queryDate, queryUuid, queryWholeNumber } from '../../http/query.js';
import * as service from './service.js';

/** I4: the filters as zod reads them; dates must be real ones (no 31 February, no year 0000). */
const filtersSchemaFor = (actions: readonly string[]) =>
  z.object({
    user: queryUuid('person'),
    // From a record's "entries for this pupil" link (or the profile), not a list to choose from.
    pupil: queryUuid('pupil', 'The link to this pupil’s entries is not valid'),
    action: queryChoice('action', actions, 'Choose an action from the list'),
    from: queryDate('the from date'),
    to: queryDate('the to date'),
    before: queryWholeNumber(
      'the link to older entries',
      Number.MAX_SAFE_INTEGER,
      'The link to older entries is not valid',
    ),
  });
/** The filter form's fields; `before` comes from the "Older entries" link, `pupil` from a record's link (so a bad one is a bad address). */
const formFields = ['user', 'action', 'from', 'to'];

/** The school's audit log (P13): searchable by person, action and date; htmx narrows as you choose. */
export function auditRoutes(deps: AppDeps): Router {
  const router = Router();
  // Every module's actions, with their labels (collected by app.ts from the module list).
  const labels = deps.auditActionLabels;
  const label = (action: string): string => labels[action] ?? action;
  const filtersSchema = filtersSchemaFor(Object.keys(labels));
  router.get('/audit', requireSignIn, async (req, res) => {
    const actor = actorOf(req);
    // Not formPost: a GET search whose problems are a 400 in the htmx results fragment, with nothing to save.
    const parsed = parseFilters(filtersSchema, req.query, formFields);
    if (!parsed.ok) {
      // The form again with each problem by its field, keeping what was typed; no entries are read.
      const choices = await service.filterChoices(deps, actor);
      return deps.renderer.render(
        req,
        res,
        'audit/log',
        {
          title: 'Audit log',
          ...choices,
          rows: [],
          pupil: null,
          filters: parsed.values,
          errors: parsed.errors,
          nextUrl: null,
          firstUrl: null,
          label,
        },
        { fragment: 'audit/_results', status: 400 },
      );
    }
    const filters = parsed.data;
    const result = await service.searchSchoolLog(deps, actor, {
      userId: filters.user,
      action: filters.action,
      pupilId: filters.pupil,
      from: filters.from,
      to: filters.to,
      before: filters.before,
    });
    const query = new URLSearchParams(
      Object.entries({
        user: filters.user,
        action: filters.action,
        pupil: filters.pupil,
        from: filters.from,
        to: filters.to,
      }).filter((e): e is [string, string] => !!e[1]),
    );
    const nextUrl = result.nextBefore
      ? `/audit?${new URLSearchParams([...query, ['before', String(result.nextBefore)]])}`
      : null;
    deps.renderer.render(
      req,
      res,
      'audit/log',
      {
        title: 'Audit log',
        ...result,
        filters,
        errors: {},
        nextUrl,
        firstUrl: filters.before ? `/audit?${query}` : null,
        label,
      },
      { fragment: 'audit/_results' },
    );
  });
  return router;
}
