import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../http/deps.js';
import { parseForm } from '../../http/forms.js';
import { actorOf, requireSignIn } from '../../http/guards.js';
import { auditActionLabel } from './actions.js';
import * as service from './service.js';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Enter a date like 2026-09-01').refine((v) => !Number.isNaN(Date.parse(v)), 'Enter a real date');
const blank = (v: unknown) => (v === '' ? undefined : v);

const filtersSchema = z.object({
  user: z.preprocess(blank, z.uuid('Choose a person from the list').optional()),
  action: z.preprocess(blank, z.string().regex(/^[a-z_.]+$/, 'Choose an action from the list').optional()),
  from: z.preprocess(blank, isoDate.optional()),
  to: z.preprocess(blank, isoDate.optional()),
  before: z.preprocess(blank, z.coerce.number().int().positive().optional()),
});

/** The school's audit log (P13): searchable by person, action and date; htmx narrows as you choose. */
export function auditRoutes(deps: AppDeps): Router {
  const router = Router();
  router.get('/audit', requireSignIn, async (req, res) => {
    const parsed = parseForm(filtersSchema, req.query);
    const filters = parsed.ok ? parsed.data : {};
    const errors = parsed.ok ? {} : parsed.errors;
    const result = await service.searchSchoolLog(deps.db, actorOf(req), {
      userId: filters.user, action: filters.action, from: filters.from, to: filters.to, before: filters.before,
    });
    const query = new URLSearchParams(
      Object.entries({ user: filters.user, action: filters.action, from: filters.from, to: filters.to }).filter((e): e is [string, string] => !!e[1]),
    );
    const nextUrl = result.nextBefore ? `/audit?${new URLSearchParams([...query, ['before', String(result.nextBefore)]])}` : null;
    deps.renderer.render(req, res, 'audit/log', {
      title: 'Audit log', ...result, filters, errors, nextUrl, firstUrl: filters.before ? `/audit?${query}` : null, label: auditActionLabel,
    }, { fragment: 'audit/_results', status: parsed.ok ? 200 : 422 });
  });
  return router;
}
