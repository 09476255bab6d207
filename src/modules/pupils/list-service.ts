import type { Database, Tx } from '../../db/index.js';
import { type Actor, assertStaff, pupilScope, type StaffActor } from '../../policy/index.js';
import * as audit from '../audit/index.js';
import type { StoredPupil } from './pupil-service.js';
import * as q from './queries.js';
import { groupSchoolOrder, registrationGroupOf, yearGroupsOfSchool } from './school-order.js';

/** The pupil list and its CSV export: scoped, filtered, sorted, paged, and audited (L1, P34). */

export const pageSize = 50;

/**
 * The pupil list: scoped to what the actor may see, filtered, sorted and paged. `coveredBySearch`:
 * a live search's later listing, whose search already has its audit row (search-audit.ts).
 */
export async function listPupils(
  db: Database,
  actor: Actor,
  filters: q.ListFilters,
  page: number,
  opts: { coveredBySearch?: boolean } = {},
) {
  const staff = assertStaff(actor, 'pupil.list');
  return db.withActor(staff, async (trx) => {
    const base = q.filtered(trx, pupilScope(staff), filters);
    const [{ total }] = (await base.clone().count<{ total: number }[]>('* as total')) as [{ total: number }];
    const pages = Math.max(1, Math.ceil(Number(total) / pageSize));
    const current = Math.min(Math.max(1, page), pages);
    const rows = (await q
      .ordered(base.clone().select(q.listColumns(trx)), filters)
      .limit(pageSize)
      .offset((current - 1) * pageSize)) as q.PupilListRow[];
    const choices = await filterChoices(trx, staff);
    // The list shows SEN status: a read of special-category data (L1).
    if (!opts.coveredBySearch)
      await audit.record(trx, staff, { action: 'pupil.listed', meta: { rows: rows.length, total: Number(total) } });
    return { rows, total: Number(total), page: current, pages, ...choices };
  });
}

/** The list's filter choices alone, to show a refused filter form again (I4); no pupil is read. */
export async function listChoices(db: Database, actor: Actor) {
  const staff = assertStaff(actor, 'pupil.list');
  return db.withActor(staff, (trx) => filterChoices(trx, staff));
}

async function filterChoices(trx: Tx, staff: StaffActor) {
  const groups = await trx('groups')
    .where({ school_id: staff.schoolId })
    .whereNull('archived_at')
    .modify((g) => {
      if (pupilScope(staff).kind === 'taught')
        g.whereExists(trx('group_staff as gs').whereRaw('gs.group_id = groups.id').where('gs.user_id', staff.userId));
    })
    .select('id', 'name')
    .orderByRaw(groupSchoolOrder('groups'));
  const flags = await trx('support_flags')
    .where({ school_id: staff.schoolId })
    .whereNull('archived_at')
    .select('id', 'name')
    .orderBy('name');
  return { groups, flags, yearGroups: await yearGroupsOfSchool(trx, staff.schoolId) };
}

export interface ExportRow extends StoredPupil {
  registration_group: string | null;
  ever_6_fsm: boolean;
  pupil_premium: boolean;
  fsm_periods: string | null;
}

/** Exactly what the list's filter shows, every page, minus restricted pupils (P29). Audited as a bulk export (P34). */
export async function exportPupils(db: Database, actor: Actor, filters: q.ListFilters): Promise<ExportRow[]> {
  const staff = assertStaff(actor, 'pupil.export');
  return db.withActor(staff, async (trx) => {
    const rows = (await q.ordered(
      q
        .filtered(trx, pupilScope(staff), filters)
        .whereNull('p.restricted_at')
        .select([...q.exportColumns(trx), trx.raw(`${registrationGroupOf()} as registration_group`)]),
      filters,
    )) as ExportRow[];
    await audit.record(trx, staff, {
      action: 'pupil.exported',
      entityType: 'pupil',
      fields: ['record'],
      meta: {
        rows: rows.length,
        filters: Object.entries(filters)
          .filter(([, v]) => v)
          .map(([k]) => k)
          .join(','),
      },
    });
    return rows;
  });
}
