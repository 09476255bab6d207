import type { Tx } from '../../db/index.js';
import { FieldError } from '../../errors.js';
import type { StaffActor } from '../../policy/index.js';
import * as audit from '../audit/index.js';
import type { ErrorLog } from './import-errors.js';
import type { ImportRow } from './import-row.js';
import { groupSchoolOrder } from './school-order.js';

/**
 * How an MIS import touches the school roll beyond each pupil's record: a full-roll file that
 * would make most of the school leavers (warned about, confirmed by typing the number), and
 * registration groups (the classes pupils are put in, matched by name or created).
 */

interface LeaverCounts {
  leavers: number;
  onRoll?: number | undefined;
}

/** Registration groups match classes by name, ignoring case and surrounding spaces ("3 oak" is 3 Oak). */
export const groupKey = (name: string) => name.trim().toLowerCase();

/** New registration groups one file may create: a school has tens of classes; more is a broken file. */
export const maxNewGroups = 200;

/**
 * Whether marking this file's leavers would make most of the school leave: more than half the
 * pupils on roll (a partial export uploaded as "every pupil on roll" looks like this). Confirming
 * it then needs the number typed (`assertLeaversConfirmed`), not only a ticked box.
 */
export function mostOfSchoolLeaves(preview: { counts: LeaverCounts }): boolean {
  const { leavers, onRoll } = preview.counts;
  return leavers > 0 && leavers * 2 > (onRoll ?? leavers);
}

/** Refuses to mark most of the school as left unless the number of leavers was typed exactly. */
export function assertLeaversConfirmed(
  preview: { counts: LeaverCounts },
  options: { leavers: unknown; typedLeaverCount?: string | undefined },
): void {
  if (!options.leavers || !mostOfSchoolLeaves(preview)) return;
  const n = preview.counts.leavers;
  if ((options.typedLeaverCount ?? '').trim() !== String(n))
    throw new FieldError(
      'leavers_count',
      `Type ${n} to confirm that ${n} pupils have left. Nothing was imported. If the file does not list every pupil on roll, cancel and upload it as "some pupils" instead.`,
    );
}

/** The registration groups a file names that the school has no class for, at most `maxNewGroups`. */
export class NewGroups {
  private readonly found = new Map<string, string>();
  constructor(private readonly errors: ErrorLog) {}

  /** Notes the row's group; false (and an error on the row) once the file names too many new ones. */
  note(row: ImportRow, classes: Set<string>): boolean {
    const name = row.registrationGroup;
    if (!name || classes.has(groupKey(name)) || this.found.has(groupKey(name))) return true;
    if (this.found.size >= maxNewGroups) {
      this.errors.add(
        row.row,
        'registration_group',
        `The file names more than ${maxNewGroups} registration groups that are not classes in Waypoint. Check the registration_group column.`,
      );
      return false;
    }
    this.found.set(groupKey(name), name);
    return true;
  }

  names(): string[] {
    return [...this.found.values()];
  }
}

/**
 * The school's classes by name (`groupKey`), read once when the file first names a registration
 * group; one the school lacks is created as a class of the row's year group (audited, counted).
 * `move` makes a class the pupil's only current class, as a registration group is.
 */
export function registrationGroups(trx: Tx, staff: StaffActor, onCreated: () => void) {
  const schoolId = staff.schoolId;
  let ids: Map<string, string> | undefined;
  const currentClasses = () =>
    trx('groups').select('id').where({ school_id: schoolId, kind: 'class' }).whereNull('archived_at');
  const idOf = async (name: string, yearGroup: string | null): Promise<string> => {
    if (!ids) {
      const rows: { id: string; name: string }[] = await currentClasses()
        .select('name')
        .orderByRaw(groupSchoolOrder('groups'));
      ids = new Map();
      for (const g of rows) if (!ids.has(groupKey(g.name))) ids.set(groupKey(g.name), g.id);
    }
    const found = ids.get(groupKey(name));
    if (found) return found;
    const [row] = await trx('groups')
      .insert({ school_id: schoolId, kind: 'class', name, year_group: yearGroup })
      .returning('id');
    await audit.record(trx, staff, {
      action: 'group.created',
      entityType: 'group',
      entityId: row.id,
      fields: ['name', 'kind', 'year_group'],
      meta: { source: 'import' },
    });
    onCreated();
    ids.set(groupKey(name), row.id);
    return row.id as string;
  };
  const move = async (pupilId: string, name: string, yearGroup: string | null) => {
    const target = await idOf(name, yearGroup);
    await trx('group_members')
      .where({ school_id: schoolId, pupil_id: pupilId })
      .whereIn('group_id', currentClasses())
      .whereNot('group_id', target)
      .del();
    await trx('group_members')
      .insert({ school_id: schoolId, group_id: target, pupil_id: pupilId })
      .onConflict(['group_id', 'pupil_id'])
      .ignore();
  };
  return { idOf, move };
}
