import type { Database, Tx } from '../../db/index.js';
import { firstSubmission } from '../../db/idempotency.js';
import { lockFresh } from '../../db/versioned.js';
import { type Actor, assertStaff, can, pupilScope } from '../../policy/index.js';
import { NotFound } from '../../errors.js';
import * as audit from '../audit/index.js';
import {
  createInterventionGroup,
  interventionGroupSummaries,
  openableGroupIds,
  similarPupils,
  visibleGroupMembers,
} from '../pupils/index.js';
import { directory } from '../tenancy/index.js';
import { loadFrameworks } from './frameworks-service.js';

/**
 * Interventions: who gets what, from whom, and did it work. Pupils are an intervention group.
 * Impact compares each pupil's score in each target domain or subject before the start with the
 * score after the end, with group averages. It is advice to staff, not a judgement (P10).
 */

export const statuses = ['planned', 'running', 'ended', 'discontinued'] as const;
export type Status = (typeof statuses)[number];

export interface InterventionInput {
  name: string;
  type: string;
  lead_user_id: string | null;
  start_date: string;
  end_date: string | null;
  frequency: string | null;
  status: Status;
  target_item_ids: string[];
}

type InterventionRow = Record<string, unknown> & { group_id: string; lead_user_id: string | null };

/** The school-wide provision list. Pupil names appear only where the viewer may see the pupil. */
export async function provision(db: Database, actor: Actor, status?: Status) {
  const staff = assertStaff(actor, 'intervention.read');
  return db.withActor(staff, async (trx) => {
    const rows: InterventionRow[] = await trx('interventions as i')
      .where('i.school_id', staff.schoolId)
      .modify((q) => (status ? q.where('i.status', status) : q))
      .select(
        'i.*',
        trx.raw(
          `(select coalesce(array_agg(fi.name order by fi.position), '{}') from intervention_targets t join framework_items fi on fi.id = t.item_id where t.intervention_id = i.id) as targets`,
        ),
      )
      .orderByRaw(`array_position(array['running','planned','ended','discontinued'], i.status), i.start_date desc`);
    const groups = await interventionGroupSummaries(
      trx,
      staff,
      rows.map((r) => r.group_id),
    );
    const leads = await directory.displayNames(
      trx,
      rows.map((r) => r.lead_user_id),
    );
    // Every intervention has its own group; one the actor cannot see is left out, as before.
    const interventions = rows.flatMap((r) => {
      const group = groups.get(r.group_id);
      return group
        ? [
            {
              ...r,
              group_name: group.name,
              lead_name: r.lead_user_id ? (leads.get(r.lead_user_id) ?? null) : null,
              pupil_count: group.pupil_count,
              pupils: group.pupils,
            },
          ]
        : [];
    });
    return { interventions, canManage: can(staff, 'intervention.manage'), scope: pupilScope(staff).kind };
  });
}

export async function formOptions(db: Database, actor: Actor) {
  const staff = assertStaff(actor, 'intervention.manage');
  return db.withActor(staff, async (trx) => ({
    frameworks: (await loadFrameworks(trx, staff.schoolId)).filter((f) => f.kind !== 'end_of_key_stage'),
    staff: await directory.activeStaffOf(trx, staff.schoolId),
  }));
}

async function checkTargets(trx: Tx, schoolId: string, input: InterventionInput) {
  const items = new Set((await loadFrameworks(trx, schoolId)).flatMap((f) => f.items.map((i) => i.id)));
  if (input.target_item_ids.some((id) => !items.has(id))) throw new NotFound('domain or subject');
  if (input.lead_user_id && !(await directory.isActiveMemberOf(trx, schoolId, input.lead_user_id)))
    throw new NotFound('member of staff');
}

/** Creates the intervention and its own intervention group (pupils are added on the group's page). */
export async function createIntervention(
  db: Database,
  actor: Actor,
  input: InterventionInput,
  submissionKey?: string,
): Promise<{ id: string; groupId: string } | null> {
  const staff = assertStaff(actor, 'intervention.manage');
  return db.withActor(staff, async (trx) => {
    if (!(await firstSubmission(trx, staff.userId, submissionKey))) return null;
    await checkTargets(trx, staff.schoolId, input);
    const groupId = await createInterventionGroup(trx, staff, input.name);
    const { target_item_ids, ...values } = input;
    const [row] = await trx('interventions')
      .insert({ ...values, school_id: staff.schoolId, group_id: groupId })
      .returning('id');
    if (target_item_ids.length)
      await trx('intervention_targets').insert(
        target_item_ids.map((item_id) => ({ school_id: staff.schoolId, intervention_id: row.id, item_id })),
      );
    await audit.record(trx, staff, {
      action: 'intervention.created',
      entityType: 'intervention',
      entityId: row.id,
      fields: Object.keys(input),
    });
    return { id: row.id as string, groupId };
  });
}

export async function getForEdit(db: Database, actor: Actor, id: string) {
  const staff = assertStaff(actor, 'intervention.manage');
  return db.withActor(staff, async (trx) => {
    const intervention = await trx('interventions').where({ id, school_id: staff.schoolId }).first();
    if (!intervention) throw new NotFound('intervention');
    const targets: string[] = await trx('intervention_targets').where({ intervention_id: id }).pluck('item_id');
    return { intervention, targets };
  });
}

export async function updateIntervention(
  db: Database,
  actor: Actor,
  id: string,
  input: InterventionInput,
  version: number,
): Promise<void> {
  const staff = assertStaff(actor, 'intervention.manage');
  await db.withActor(staff, async (trx) => {
    const before = await lockFresh(trx('interventions').where({ id, school_id: staff.schoolId }), version, {
      what: 'intervention',
      conflict:
        'Someone else changed this intervention while you were editing it. Nothing was saved; review it and try again.',
    });
    await checkTargets(trx, staff.schoolId, input);
    const { target_item_ids, ...values } = input;
    await trx('interventions')
      .where({ id })
      .update({ ...values, version: before.version + 1 });
    await trx('intervention_targets').where({ intervention_id: id }).del();
    if (target_item_ids.length)
      await trx('intervention_targets').insert(
        target_item_ids.map((item_id) => ({ school_id: staff.schoolId, intervention_id: id, item_id })),
      );
    await audit.record(trx, staff, {
      action: 'intervention.updated',
      entityType: 'intervention',
      entityId: id,
      fields: Object.keys(input),
    });
  });
}

export interface ImpactRow {
  pupil_id: string;
  item_id: string;
  before: number | null;
  after: number | null;
}

/**
 * For each pupil and target: the latest score dated before the start, and the first score dated on
 * or after the end (or, while it is still running, the latest score since the start).
 */
export async function impact(db: Database, actor: Actor, id: string) {
  const staff = assertStaff(actor, 'intervention.read');
  return db.withActor(staff, async (trx) => {
    const row = await trx('interventions as i').where({ 'i.id': id, 'i.school_id': staff.schoolId }).first('i.*');
    if (!row) throw new NotFound('intervention');
    const lead = row.lead_user_id
      ? (await directory.displayNames(trx, [row.lead_user_id])).get(row.lead_user_id)
      : undefined;
    const intervention = { ...row, lead_name: lead ?? null };
    const pupils = await visibleGroupMembers(trx, staff, intervention.group_id);
    const frameworks = await loadFrameworks(trx, staff.schoolId);
    const targetIds: string[] = await trx('intervention_targets').where({ intervention_id: id }).pluck('item_id');
    const items = frameworks.flatMap((f) =>
      f.items.filter((i) => targetIds.includes(i.id)).map((i) => ({ ...i, framework: f })),
    );
    const measureAfter = intervention.end_date && intervention.status !== 'running' ? 'ended' : 'running';
    const window = { start: intervention.start_date, end: intervention.end_date, measureAfter } as const;
    const itemIds = items.map((i) => i.id);
    const rows = await beforeAndAfter(
      trx,
      pupils.map((p) => p.id),
      itemIds,
      window,
    );
    const averages = averagesOf(rows, itemIds);
    // The comparison (advice, P10): pupils of the same year groups, not in this intervention, the
    // same targets measured over the same dates, as far as the viewer may see them.
    // (Members the viewer cannot see are not in their scope, so they cannot be among the others either.)
    const yearGroups = [...new Set(pupils.map((p) => p.year_group))].sort();
    const members = pupils.map((p) => p.id);
    const others = items.length ? await similarPupils(trx, staff, yearGroups, members) : [];
    const comparison = {
      yearGroups,
      pupils: others.length,
      averages: averagesOf(await beforeAndAfter(trx, others, itemIds, window), itemIds),
    };
    // Links only to what this person may open: the group page (group.read) and the edit form.
    const canOpenGroup = (await openableGroupIds(trx, staff, [intervention.group_id])).has(intervention.group_id);
    const canManage = can(staff, 'intervention.manage');
    await audit.recordRead(trx, staff, { action: 'intervention.viewed', entityType: 'intervention', entityId: id });
    return { intervention, pupils, items, rows, averages, measureAfter, comparison, canOpenGroup, canManage };
  });
}

/** Each pupil's score per target before the start and after the end (or, while running, the latest since the start). */
async function beforeAndAfter(
  trx: Tx,
  pupilIds: string[],
  itemIds: string[],
  window: { start: string; end: string | null; measureAfter: 'ended' | 'running' },
): Promise<ImpactRow[]> {
  if (!pupilIds.length || !itemIds.length) return [];
  const { rows } = await trx.raw(
    `select p.pupil_id, t.item_id,
       (select s.value from assessment_scores s where s.pupil_id = p.pupil_id and s.item_id = t.item_id and s.assessed_on < ?
         order by s.assessed_on desc, s.id desc limit 1) as before,
       (case when ? = 'ended'
          then (select s.value from assessment_scores s where s.pupil_id = p.pupil_id and s.item_id = t.item_id and s.assessed_on >= ?
                 order by s.assessed_on asc, s.id asc limit 1)
          else (select s.value from assessment_scores s where s.pupil_id = p.pupil_id and s.item_id = t.item_id and s.assessed_on >= ?
                 order by s.assessed_on desc, s.id desc limit 1) end) as after
     from unnest(?::uuid[]) as p(pupil_id) cross join unnest(?::uuid[]) as t(item_id)`,
    [window.start, window.measureAfter, window.end ?? window.start, window.start, pupilIds, itemIds],
  );
  return rows;
}

/** Per target: how many pupils have both scores, their mean before, after and change, and how many improved. */
function averagesOf(rows: ImpactRow[], itemIds: string[]) {
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  return itemIds.map((itemId) => {
    const both = rows.filter((r) => r.item_id === itemId && r.before !== null && r.after !== null);
    return {
      item_id: itemId,
      pupils: both.length,
      before: mean(both.map((r) => r.before!)),
      after: mean(both.map((r) => r.after!)),
      change: mean(both.map((r) => r.after! - r.before!)),
      improved: both.filter((r) => r.after! > r.before!).length,
    };
  });
}
