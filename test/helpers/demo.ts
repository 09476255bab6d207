import type { Knex } from 'knex';
import type { Actor, SchoolRole } from '../../src/policy/index.js';

/** Looks up demo ids with the superuser connection (test set-up only). */
export async function demoIds(su: Knex) {
  const orgs: { id: string; name: string }[] = await su('organisations').select('id', 'name');
  const users: { id: string; email: string }[] = await su('users').select('id', 'email');
  const org = (name: string) => orgs.find((o) => o.name === name)!.id;
  const user = (email: string) => users.find((u) => u.email === email)!.id;
  return {
    oakfield: org('Oakfield Primary School'),
    riverside: org('Riverside Primary School'),
    hillcrest: org('Hillcrest Academy'),
    trust: org('Northstar Learning Trust'),
    la: org('Westshire Council'),
    user,
  };
}

export type DemoIds = Awaited<ReturnType<typeof demoIds>>;

export function staff(ids: DemoIds, email: string, schoolId: string, roles: SchoolRole[]): Actor {
  return { kind: 'staff', userId: ids.user(email), schoolId, roles, meta: {} };
}

export interface ClassFramework {
  groupId: string;
  framework: { id: string };
  items: { id: string; name: string; is_safety_domain: boolean }[];
  /** Level id by value. */
  levels: Map<number, string>;
  /** The term that contains today. */
  term: { id: string; starts_on: string; ends_on: string };
}

/** The demo teacher's class (Oakfield's 3 Oak) with one of the school's frameworks and today's term. */
export async function oakClassFramework(
  su: Knex,
  ids: DemoIds,
  kind: 'wellbeing' | 'attainment',
): Promise<ClassFramework> {
  const groupId = (await su('groups').where({ school_id: ids.oakfield, name: '3 Oak' }).first()).id;
  const framework = await su('frameworks').where({ school_id: ids.oakfield, kind }).first();
  const items = await su('framework_items').where({ framework_id: framework.id }).orderBy('position');
  const levels = new Map<number, string>(
    (await su('framework_levels').where({ framework_id: framework.id })).map((l) => [l.value, l.id]),
  );
  const today = new Date().toISOString().slice(0, 10);
  const term = await su('terms')
    .where({ school_id: ids.oakfield })
    .where('starts_on', '<=', today)
    .where('ends_on', '>=', today)
    .first();
  return { groupId, framework, items, levels, term };
}
