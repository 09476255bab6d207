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
