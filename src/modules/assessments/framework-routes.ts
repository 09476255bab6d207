import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../http/deps.js';
import { flash } from '../../http/flash.js';
import { checkedValues, type FieldErrors, optionalText, requiredText, uuidParam, version } from '../../http/forms.js';
import { FieldError, type FormState, formPost, typedValues } from '../../http/form-page.js';
import { actorOf, requireSignIn } from '../../http/guards.js';
import { withoutPupilData } from '../../http/render.js';
import { NotFound } from '../../errors.js';
import { roleLabels, schoolRoles } from '../../policy/index.js';
import { date } from '../../lib/form-fields.js';
import * as frameworks from './frameworks-service.js';
import * as terms from './terms-service.js';

const uuidRe = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const levelLine =
  /^\s*(\d{1,2})\s*\|\s*([^|]{1,12}?)\s*\|\s*([^|]{1,100}?)\s*(?:\|\s*([^|]{0,300}?)\s*)?(?:\|\s*(expected)\s*)?$/i;

const newFrameworkForm = z.object({
  kind: z.enum(['wellbeing', 'attainment', 'end_of_key_stage'], { error: 'Choose the kind of framework' }),
  name: requiredText('a name', 100),
  description: optionalText('description', 1000),
  recorded_by: checkedValues(z.enum(schoolRoles)).pipe(
    z.array(z.enum(schoolRoles)).min(1, 'Choose at least one role that records it'),
  ),
  items: z
    .string({ error: 'List the domains or subjects, one per line' })
    .transform((v) =>
      v
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter(Boolean),
    )
    .pipe(
      z
        .array(z.string().max(100, 'Each domain or subject must be 100 characters or fewer'))
        .min(1, 'List the domains or subjects, one per line'),
    ),
  levels: z.string({ error: 'List the levels, one per line' }).transform((v, ctx) => {
    const lines = v
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean);
    const out = [];
    for (const [i, line] of lines.entries()) {
      const m = levelLine.exec(line);
      if (!m) {
        ctx.addIssue({
          code: 'custom',
          message: `Level line ${i + 1} should look like “3 | EXS | Expected | Working at the expected standard | expected”`,
        });
        return z.NEVER;
      }
      out.push({
        value: Number(m[1]),
        short_label: m[2]!,
        label: m[3]!,
        descriptor: m[4] || null,
        meets_expected: !!m[5],
      });
    }
    if (out.length < 2) ctx.addIssue({ code: 'custom', message: 'A scale needs at least two levels' });
    if (new Set(out.map((l) => l.value)).size !== out.length)
      ctx.addIssue({ code: 'custom', message: 'Each level needs its own value' });
    return out;
  }),
});

function readEdit(
  body: Record<string, string | string[] | undefined>,
  fw: frameworks.Framework,
): { edit?: frameworks.FrameworkEdit; version?: number; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const str = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : '');
  const text = (k: string, label: string, max: number, required = true) => {
    const v = str(k).trim();
    if (required && !v) errors[k] = `Enter ${label}`;
    else if (v.length > max) errors[k] = `${label} must be ${max} characters or fewer`;
    return v;
  };
  const ver = version.safeParse(body.version);
  const roles = [body.recorded_by ?? []]
    .flat()
    .filter((r): r is (typeof schoolRoles)[number] => (schoolRoles as readonly string[]).includes(r as string));
  if (!roles.length) errors.recorded_by = 'Choose at least one role that records it';
  const edit: frameworks.FrameworkEdit = {
    name: text('name', 'a name', 100),
    description: str('description').trim() || null,
    recorded_by: roles,
    archived: str('archived') === 'on',
    items: fw.items.map((item) => ({
      id: item.id,
      name: text(`item_name:${item.id}`, `a name for ${item.name}`, 100),
      position: Number(str(`item_position:${item.id}`) || item.position),
      archived: str(`item_archived:${item.id}`) === 'on',
      is_safety_domain: str('safety_item') === item.id,
    })),
    levels: fw.levels.map((level) => ({
      id: level.id,
      label: text(`level_label:${level.id}`, `a label for level ${level.value}`, 100),
      short_label: text(`level_short:${level.id}`, `a short label for level ${level.value}`, 12),
      descriptor: str(`level_descriptor:${level.id}`).trim() || null,
      meets_expected: str(`level_expected:${level.id}`) === 'on',
    })),
    newItem: str('new_item').trim() || null,
    newLevel: null,
  };
  if (str('new_level_label').trim() || str('new_level_value').trim()) {
    const value = Number(str('new_level_value'));
    if (!Number.isInteger(value) || value < 0 || value > 99)
      errors.new_level_value = 'The new level’s value must be a whole number from 0 to 99';
    edit.newLevel = {
      value,
      label: text('new_level_label', 'a label for the new level', 100),
      short_label: text('new_level_short', 'a short label for the new level', 12),
      descriptor: str('new_level_descriptor').trim() || null,
      meets_expected: str('new_level_expected') === 'on',
    };
  }
  if (str('safety_item') && !uuidRe.test(str('safety_item'))) errors.safety_item = 'Choose a domain';
  return ver.success
    ? { edit, version: ver.data, errors }
    : { errors: { ...errors, name: 'The form is out of date. Reload the page.' } };
}

/** The edit form for one framework, as a schema: readEdit's problems become issues by field. */
const editFormFor = (fw: frameworks.Framework) =>
  z.record(z.string(), z.union([z.string(), z.array(z.string())])).transform((body, ctx) => {
    const { edit, version: ver, errors } = readEdit(body, fw);
    for (const [field, message] of Object.entries(errors)) ctx.addIssue({ code: 'custom', path: [field], message });
    return edit && ver !== undefined && !Object.keys(errors).length ? { edit, version: ver } : z.NEVER;
  });

const academicYear = z.coerce.number({ error: 'Choose an academic year' }).int().min(2000).max(2100);

const termForm = z
  .object({ starts_on: date('the first day', true), ends_on: date('the last day', true) })
  .refine((v) => !v.starts_on || !v.ends_on || v.ends_on >= v.starts_on, {
    path: ['ends_on'],
    message: 'The last day must be on or after the first day',
  });

/** The school admin's assessment set-up: frameworks (as data) and term dates. */
export function frameworkRoutes(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps;
  const renderer = withoutPupilData(deps.renderer); // set-up pages: no pupil is shown
  router.use(['/frameworks', '/terms'], requireSignIn);
  const roleOptions = schoolRoles.map((r) => ({ value: r, label: roleLabels[r] }));

  const listPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const data = await frameworks.settingsData(db, actorOf(req));
    renderer.render(
      req,
      res,
      'assessments/frameworks',
      {
        title: 'Assessment set-up',
        ...data,
        kindLabels: frameworks.kindLabels,
        termLabel: frameworks.termLabel,
        errors: {},
        ...extra,
      },
      { status },
    );
  };
  router.get('/frameworks', (req, res) => listPage(req, res));

  const newPage = (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) =>
    renderer.render(
      req,
      res,
      'assessments/framework-new',
      {
        title: 'Add a framework',
        kindLabels: frameworks.kindLabels,
        roleOptions,
        errors: {},
        values: { recorded_by: ['school_admin', 'head', 'dsl', 'senco', 'teacher'] },
        ...extra,
      },
      { status },
    );

  router.get('/frameworks/new', (req, res) => {
    frameworks.assertMayManage(actorOf(req));
    newPage(req, res);
  });

  router.post(
    '/frameworks',
    formPost({
      schema: newFrameworkForm,
      lists: ['recorded_by'],
      page: (req, res, { errors, values }, status) => newPage(req, res, { errors, values }, status),
      save: async (req, res, data) => {
        const id = await frameworks.createFramework(db, actorOf(req), data);
        flash(req, `${data.name} created.`);
        res.redirect(303, `/frameworks/${id}`);
      },
    }),
  );

  const editPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const data = await frameworks.settingsData(db, actorOf(req));
    const fw = data.frameworks.find((f) => f.id === req.params.id);
    if (!fw) throw new NotFound('framework');
    renderer.render(
      req,
      res,
      'assessments/framework-edit',
      {
        title: fw.name,
        fw,
        usage: data.usage,
        roleOptions,
        kindLabels: frameworks.kindLabels,
        errors: {},
        values: null,
        ...extra,
      },
      { status },
    );
  };

  router.get('/frameworks/:id', (req, res) => editPage(req, res));

  router.post('/frameworks/:id', async (req, res, next) => {
    const id = uuidParam(req, 'id', 'framework');
    const { frameworks: all } = await frameworks.settingsData(db, actorOf(req));
    const fw = all.find((f) => f.id === id);
    if (!fw) throw new NotFound('framework');
    // The form's fields follow this framework's items and levels, so its handler is made for it.
    await formPost({
      schema: editFormFor(fw),
      conflictField: 'name',
      page: (req, res, { errors, values }, status) => editPage(req, res, { errors, values }, status),
      save: async (req, res, { edit, version: ver }) => {
        await frameworks.updateFramework(db, actorOf(req), id, edit, ver);
        flash(req, 'Framework saved.');
        res.redirect(303, `/frameworks/${id}`);
      },
    })(req, res, next);
  });

  router.post('/frameworks/:id/levels/:levelId/delete', async (req, res) => {
    const id = uuidParam(req, 'id', 'framework');
    try {
      await frameworks.deleteLevel(db, actorOf(req), id, uuidParam(req, 'levelId', 'level'));
    } catch (err) {
      if (err instanceof FieldError)
        return editPage(req, res, { errors: { [err.field]: err.publicMessage } }, err.status);
      throw err;
    }
    flash(req, 'Level deleted.');
    res.redirect(303, `/frameworks/${id}`);
  });

  // Each term's form has its own field ids, so errors are keyed by field and term.
  const termPage = (req: Request, res: Response, { errors, values }: FormState, status: number) => {
    const termId = uuidParam(req, 'id', 'term');
    const keyed = Object.entries(errors).flatMap(([k, v]) => (v ? [[`${k}-${termId}`, v]] : []));
    const termValues = { [termId]: { starts_on: values.starts_on, ends_on: values.ends_on } };
    return listPage(req, res, { errors: Object.fromEntries(keyed), termValues }, status);
  };

  router.post(
    '/terms/:id',
    formPost({
      schema: termForm,
      page: termPage,
      save: async (req, res, data) => {
        const result = await terms.updateTerm(db, actorOf(req), uuidParam(req, 'id', 'term'), {
          starts_on: data.starts_on!,
          ends_on: data.ends_on!,
        });
        // The service may refuse both dates at once, so it answers with errors by field rather than one FieldError.
        if (!result.ok) return termPage(req, res, { errors: result.errors, values: typedValues(req.body) }, 422);
        flash(req, 'Term dates saved.');
        res.redirect(303, '/frameworks');
      },
    }),
  );

  router.post(
    '/terms',
    formPost({
      schema: z.object({ academic_year: academicYear }),
      page: (req, res, { errors }, status) => listPage(req, res, { errors }, status),
      save: async (req, res, data) => {
        await terms.addAcademicYear(db, actorOf(req), data.academic_year);
        flash(req, 'Terms added.');
        res.redirect(303, '/frameworks');
      },
    }),
  );

  return router;
}
