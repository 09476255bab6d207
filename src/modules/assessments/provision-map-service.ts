import type { Database, Tx } from '../../db/index.js';
import { type Actor, assertStaff } from '../../policy/index.js';
import { ukDate } from '../../lib/dates.js';
import { yearGroupLabel } from '../../lib/year-groups.js';
import * as audit from '../audit/index.js';
import { type ProvisionPupil, provisionPupils } from '../pupils/index.js';
import { type Framework, loadFrameworks } from './frameworks-service.js';

/**
 * The provision map: one row per pupil (a class or group, or the whole school as far as the
 * person sees it) with what a SENCo plans provision from: SEN, Pupil Premium, FSM, EAL, looked
 * after, support flags, classes and groups, the latest wellbeing and attainment level in each
 * domain or subject, and their interventions. The pupils' part comes from pupils; the scores and
 * interventions are this module's. Reading it is a special-category read: audited (L1, P34).
 */

const yn = (v: boolean) => (v ? 'Y' : 'N');
const statusWords: Record<string, string> = {
  planned: 'planned',
  running: 'running',
  ended: 'ended',
  discontinued: 'discontinued',
};

interface InterventionRow {
  group_id: string;
  name: string;
  status: string;
  start_date: string;
  end_date: string | null;
}

/** Each pupil's latest level label per item: the score from the latest term (then the latest date). */
async function latestLevels(trx: Tx, schoolId: string, pupilIds: string[], frameworks: Framework[]) {
  const itemIds = frameworks.flatMap((f) => f.items.map((i) => i.id));
  const latest = new Map<string, string>();
  if (!pupilIds.length || !itemIds.length) return latest;
  const rows: { pupil_id: string; item_id: string; level_id: string }[] = await trx('assessment_scores as s')
    .join('terms as t', 't.id', 's.term_id')
    .where('s.school_id', schoolId)
    .whereIn('s.pupil_id', pupilIds)
    .whereIn('s.item_id', itemIds)
    .distinctOn('s.pupil_id', 's.item_id')
    .select('s.pupil_id', 's.item_id', 's.level_id')
    .orderBy([
      { column: 's.pupil_id' },
      { column: 's.item_id' },
      { column: 't.sequence', order: 'desc' },
      { column: 's.assessed_on', order: 'desc' },
    ]);
  const labels = new Map(frameworks.flatMap((f) => f.levels.map((l) => [l.id, l.label] as const)));
  for (const r of rows) latest.set(`${r.pupil_id} ${r.item_id}`, labels.get(r.level_id) ?? '');
  return latest;
}

function interventionText(i: InterventionRow): string {
  const when = `from ${ukDate(i.start_date)}${i.end_date ? ` to ${ukDate(i.end_date)}` : ''}`;
  return `${i.name} (${statusWords[i.status] ?? i.status}, ${when})`;
}

export interface ProvisionMap {
  header: string[];
  rows: string[][];
}

export async function provisionMap(db: Database, actor: Actor, groupId?: string): Promise<ProvisionMap> {
  const staff = assertStaff(actor, 'provision.export');
  return db.withActor(staff, async (trx) => {
    const pupils: ProvisionPupil[] = await provisionPupils(trx, staff, groupId);
    const frameworks = (await loadFrameworks(trx, staff.schoolId)).filter(
      (f) => f.kind === 'wellbeing' || f.kind === 'attainment',
    );
    const latest = await latestLevels(
      trx,
      staff.schoolId,
      pupils.map((p) => p.id),
      frameworks,
    );
    const groupIds = [...new Set(pupils.flatMap((p) => p.group_ids))];
    const interventions: InterventionRow[] = groupIds.length
      ? await trx('interventions')
          .where({ school_id: staff.schoolId })
          .whereIn('group_id', groupIds)
          .select('group_id', 'name', 'status', 'start_date', 'end_date')
          .orderByRaw(`array_position(array['running','planned','ended','discontinued'], status), start_date desc`)
      : [];
    const items = frameworks.flatMap((f) => f.items.map((item) => ({ framework: f, item })));
    const header = [
      'mis_id',
      'upn',
      'surname',
      'forename',
      'year_group',
      'registration_group',
      'sen_status',
      'sen_primary_need',
      'pupil_premium',
      'fsm_now',
      'eal',
      'looked_after',
      'support_flags',
      'groups',
      ...items.map(({ framework, item }) => `${framework.name}: ${item.name}`),
      'interventions',
    ];
    const rows = pupils.map((p) => [
      p.mis_id ?? '',
      p.upn ?? '',
      p.surname,
      p.preferred_forename || p.legal_forename,
      yearGroupLabel(p.year_group),
      p.registration_group ?? '',
      p.sen_status,
      p.sen_primary_need ?? '',
      yn(p.pupil_premium),
      yn(p.fsm_now),
      yn(p.eal),
      yn(p.looked_after),
      p.flags.join('; '),
      p.groups.join('; '),
      ...items.map(({ item }) => latest.get(`${p.id} ${item.id}`) ?? ''),
      interventions
        .filter((i) => p.group_ids.includes(i.group_id))
        .map(interventionText)
        .join('; '),
    ]);
    await audit.record(trx, staff, {
      action: 'provision.exported',
      entityType: groupId ? 'group' : 'school',
      entityId: groupId ?? staff.schoolId,
      fields: ['record', 'assessments', 'interventions'],
      meta: { rows: rows.length },
    });
    return { header, rows };
  });
}
