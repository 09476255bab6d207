import type { Database } from '../../db/index.js';
import { type Actor, assertStaff } from '../../policy/index.js';
import { assertFresh } from '../../db/versioned.js';
import { NotFound } from '../../errors.js';
import * as audit from '../audit/index.js';
import * as q from './queries.js';
import { type ConcernRules, parseConcernRules } from './concern-rules.js';
import { type Organisation, type Row, SchoolSettings } from './models.js';

/** The settings page: the school's settings row (its rules with their defaults) and who it shares with. */
export interface SettingsView extends Omit<Row<SchoolSettings>, 'concern_rules'> {
  concern_rules: ConcernRules;
  school: Organisation;
  trust_name: string | null;
  la_name: string | null;
}

export async function getSettings(db: Database, actor: Actor): Promise<SettingsView> {
  const staff = assertStaff(actor, 'settings.manage');
  return db.withActor(staff, async (trx) => {
    const settings = await SchoolSettings.query(trx).findById(staff.schoolId);
    const school = await q.organisationById(trx, staff.schoolId);
    if (!settings || !school) throw new NotFound('school');
    const trust = school.trust_id ? await q.organisationById(trx, school.trust_id) : undefined;
    const la = school.la_id ? await q.organisationById(trx, school.la_id) : undefined;
    return {
      ...settings,
      concern_rules: parseConcernRules(settings.concern_rules),
      school,
      trust_name: trust?.name ?? null,
      la_name: la?.name ?? null,
    };
  });
}

export type SettingsChange = Partial<
  Pick<
    SettingsView,
    | 'share_with_trust'
    | 'share_with_la'
    | 'mis_import_allowed'
    | 'dsl_name'
    | 'dsl_contact'
    | 'deputy_dsl_name'
    | 'deputy_dsl_contact'
    | 'concern_rules'
  >
>;

/**
 * Changes school settings with optimistic concurrency (R5): the form carries the version it was
 * read at, and a stale save is refused. Sharing changes (P2, P3) take effect on the next request
 * of any trust or LA user, because their access is checked against this row every time.
 */
export async function updateSettings(
  db: Database,
  actor: Actor,
  change: SettingsChange,
  version: number,
): Promise<void> {
  const staff = assertStaff(actor, 'settings.manage');
  await db.withActor(staff, async (trx) => {
    const before = await SchoolSettings.query(trx).findById(staff.schoolId).forUpdate();
    if (!before) throw new NotFound('school');
    assertFresh(
      before,
      version,
      'Someone else changed these settings while you were editing them. Review the current settings and try again.',
    );
    const same = (k: keyof SettingsChange) =>
      JSON.stringify(change[k]) === JSON.stringify(k === 'concern_rules' ? parseConcernRules(before[k]) : before[k]);
    const fields = (Object.keys(change) as (keyof SettingsChange)[]).filter((k) => change[k] !== undefined && !same(k));
    if (!fields.length) return;
    await SchoolSettings.query(trx)
      .findById(staff.schoolId)
      .patch({ ...change, version: before.version + 1, updated_at: trx.fn.now(), updated_by: staff.userId });
    const sharing = fields.filter(
      (f): f is 'share_with_trust' | 'share_with_la' => f === 'share_with_trust' || f === 'share_with_la',
    );
    if (sharing.length) {
      await audit.record(trx, staff, {
        action: 'settings.sharing_changed',
        entityType: 'school',
        entityId: staff.schoolId,
        fields: sharing,
        meta: Object.fromEntries(sharing.map((f) => [f, change[f] as boolean])),
      });
    }
    const other = fields.filter((f) => f !== 'share_with_trust' && f !== 'share_with_la');
    if (other.length) {
      await audit.record(trx, staff, {
        action: 'settings.updated',
        entityType: 'school',
        entityId: staff.schoolId,
        fields: other,
        meta: other.includes('mis_import_allowed')
          ? { mis_import_allowed: change.mis_import_allowed ?? null }
          : undefined,
      });
    }
  });
}
