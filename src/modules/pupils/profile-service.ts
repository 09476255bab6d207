import type { Database } from '../../db/index.js';
import { type Actor, assert, assertStaff, can } from '../../policy/index.js';
import { NotFound } from '../../errors.js';
import * as audit from '../audit/index.js';
import type { StoredContact } from './contacts-service.js';
import { openableGroupIds } from './group-access.js';
import { namesOf } from './people.js';
import type { ProfileSection } from './profile-section.js';
import { groupSchoolOrder } from './school-order.js';
import { loadPupil } from './pupil-service.js';
import { everSixFsm, type FsmPeriod, fsmNow } from './record.js';

/** A row of a pupil's change history (P28), as the profile shows it. */
interface HistoryRow {
  field: string;
  old_value: string | null;
  new_value: string | null;
  source: string;
  changed_at: Date;
}

/**
 * Everything on the one-page profile, and what each section adds (`extra`), in one transaction.
 * Every view is audited (the profile shows SEN: L1).
 */
export async function getProfile(db: Database, actor: Actor, id: string, sections: readonly ProfileSection[] = []) {
  const staff = assertStaff(actor, 'pupil.read');
  return db.withActor(staff, async (trx) => {
    const pupil = await loadPupil(trx, id);
    // One connection per transaction: these run one after another.
    const contacts = await trx('pupil_contacts')
      .where({ school_id: staff.schoolId, pupil_id: id })
      .orderBy(['priority', 'name']);
    // Every membership, archived groups too, for the sections (interventions of past groups); the
    // profile lists the current ones, in school order.
    const memberships: { id: string; name: string; kind: string; archived_at: Date | null }[] = await trx(
      'group_members as gm',
    )
      .join('groups as g', 'g.id', 'gm.group_id')
      .where({ 'gm.school_id': staff.schoolId, 'gm.pupil_id': id })
      .select('g.id', 'g.name', 'g.kind', 'g.archived_at')
      .orderBy('g.kind')
      .orderByRaw(groupSchoolOrder());
    const memberOf = memberships.filter((g) => !g.archived_at).map(({ id, name, kind }) => ({ id, name, kind }));
    // Each group is named; only those this person may open are links (no link to a 403).
    const openable = await openableGroupIds(
      trx,
      staff,
      memberOf.map((g) => g.id),
    );
    const groups = memberOf.map((g) => ({ ...g, openable: openable.has(g.id) }));
    const fsm = await trx('pupil_fsm_periods')
      .where({ school_id: staff.schoolId, pupil_id: id })
      .orderBy('start_date')
      .select('id', 'start_date', 'end_date');
    const flags = await trx('pupil_support_flags as psf')
      .join('support_flags as sf', 'sf.id', 'psf.flag_id')
      .where({ 'psf.school_id': staff.schoolId, 'psf.pupil_id': id })
      .select('psf.id', 'sf.name', 'psf.start_date', 'psf.end_date')
      .orderBy([{ column: 'psf.end_date', order: 'desc', nulls: 'first' }, 'sf.name']);
    const changes: (HistoryRow & { changed_by: string | null })[] = await trx('pupil_history as h')
      .where({ 'h.school_id': staff.schoolId, 'h.pupil_id': id })
      .select('h.field', 'h.old_value', 'h.new_value', 'h.source', 'h.changed_at', 'h.changed_by')
      .orderBy('h.id', 'desc')
      .limit(100);
    const nameOf = await namesOf(
      trx,
      changes.map((c) => c.changed_by),
    );
    const history = changes.map(({ changed_by, ...c }) => ({ ...c, changed_by_name: nameOf(changed_by) }));
    const availableFlags = await trx('support_flags')
      .where({ school_id: staff.schoolId })
      .whereNull('archived_at')
      .select('id', 'name')
      .orderBy('name');
    await audit.recordRead(trx, staff, { action: 'pupil.viewed', entityType: 'pupil', entityId: id });
    const extra: Record<string, unknown> = {};
    const context = { trx, actor: staff, pupilId: id, groupIds: memberships.map((g) => g.id) };
    for (const section of sections) Object.assign(extra, await section(context));
    const fsmPeriods = fsm as (FsmPeriod & { id: string })[];
    return {
      pupil,
      contacts,
      groups,
      fsm: fsmPeriods,
      fsmNow: fsmNow(fsmPeriods),
      everSix: everSixFsm(fsmPeriods),
      flags,
      availableFlags,
      history,
      canEdit: can(staff, 'pupil.update', { restricted: !!pupil.restricted_at }),
      extra,
    };
  });
}

/**
 * One contact for its edit form: only for someone who may change this pupil (a restricted pupil is
 * read-only, P29; another school's pupil is not found). The form shows contact details, so the read
 * is audited as a view of the pupil naming the contacts.
 */
export async function contactForEdit(db: Database, actor: Actor, pupilId: string, contactId: string) {
  const staff = assertStaff(actor, 'pupil.update');
  return db.withActor(staff, async (trx) => {
    const pupil = await loadPupil(trx, pupilId);
    assert(staff, 'pupil.update', { schoolId: pupil.school_id, restricted: !!pupil.restricted_at });
    const contact = (await trx('pupil_contacts')
      .where({ id: contactId, school_id: staff.schoolId, pupil_id: pupilId })
      .first()) as StoredContact | undefined;
    if (!contact) throw new NotFound('contact');
    await audit.recordRead(trx, staff, {
      action: 'pupil.viewed',
      entityType: 'pupil',
      entityId: pupilId,
      fields: ['contacts'],
    });
    return { pupil, contact };
  });
}
