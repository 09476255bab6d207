import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { modules } from '../../src/app.js';
import { assembleModules, type WaypointModule } from '../../src/http/module.js';
import { navFor } from '../../src/http/navigation.js';
import { type Actor, can, laRoles, schoolRoles, trustRoles } from '../../src/policy/index.js';

const meta = {};
const school = '00000000-0000-4000-8000-000000000001';
const actors: [string, Actor][] = [
  ...schoolRoles.map((r): [string, Actor] => [r, { kind: 'staff', userId: 'u', schoolId: school, roles: [r], meta }]),
  ...trustRoles.map((r): [string, Actor] => [r, { kind: 'trust', userId: 'u', orgId: school, roles: [r], meta }]),
  ...laRoles.map((r): [string, Actor] => [r, { kind: 'la', userId: 'u', orgId: school, roles: [r], meta }]),
  ['operator', { kind: 'operator', userId: 'u', meta }],
  ['parent', { kind: 'parent', userId: 'u', meta }],
];

/** The bar as the kernel hard-coded it before modules declared their entries: the reference. */
function navBefore(a: Actor): string[] {
  const items: [string, string, boolean][] = [
    ['/', 'Home', a.kind === 'staff'],
    ['/pupils', 'Pupils', a.kind === 'staff' && can(a, 'pupil.list')],
    ['/interventions', 'Interventions', can(a, 'intervention.read')],
    ['/dashboard', 'Dashboard', can(a, 'dashboard.school')],
    ['/staff', 'Staff', can(a, 'staff.read')],
    ['/settings', 'Settings', can(a, 'settings.manage')],
    ['/audit', 'Audit log', can(a, 'audit.read')],
    ['/trust', 'Schools', can(a, 'trust.overview')],
    ['/operator', 'Organisations', can(a, 'operator.organisations')],
    ['/parent', 'Your children', can(a, 'parent.portal')],
    ['/account', 'Your account', true],
  ];
  return items.filter((i) => i[2]).map(([href, label]) => `${label} ${href}`);
}

describe('Module contract: the module list app.ts loops over', () => {
  const assembled = assembleModules(modules);

  it('builds the same navigation bar as before, for every role: same links, labels, order and visibility', () => {
    for (const [role, actor] of actors) {
      const bar = navFor(assembled.navigation, actor, '/').map((n) => `${n.label} ${n.href}`);
      expect(bar, role).to.deep.equal(navBefore(actor));
    }
  });

  it('marks the current page in the bar (Home only on /, others on their own path and below)', () => {
    const head = actors.find(([r]) => r === 'head')![1];
    const current = (path: string) =>
      navFor(assembled.navigation, head, path)
        .filter((n) => n.current)
        .map((n) => n.href);
    expect(current('/')).to.deep.equal(['/']);
    expect(current('/pupils/123')).to.deep.equal(['/pupils']);
    expect(current('/pupilsx')).to.deep.equal([]);
  });

  it('lists every module once, lowest layer first, and collects upload paths and organisation hooks', () => {
    expect(modules.map((m) => m.name)).to.deep.equal([
      'audit',
      'tenancy',
      'pupils',
      'assessments',
      'sharing',
      'parents',
    ]);
    expect(assembled.uploadPaths).to.deep.equal(['/pupils/import']);
    expect(assembled.organisationCreatedHooks).to.have.length(1);
  });

  it('gives every audit action one owning module and a label', () => {
    const labels = Object.entries(assembled.auditActionLabels);
    expect(labels.length).to.be.greaterThan(60);
    for (const [action, label] of labels) {
      expect(action).to.match(/^[a-z_]+\.[a-z_]+$/);
      expect(label, action).to.be.a('string').and.not.equal('');
    }
  });

  it('names an owner for every table the migrations create, exactly once', () => {
    const dir = path.resolve('migrations');
    const created = fs
      .readdirSync(dir)
      .flatMap((f) => [
        ...fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/create table (?:if not exists )?(\w+)/gi),
      ])
      .map((m) => m[1]!.toLowerCase());
    // The kernel's own: src/db/idempotency.ts keeps one-time form keys (R4) for every module.
    const kernelTables = ['idempotency_keys'];
    expect([...assembled.tableOwners.keys(), ...kernelTables].sort()).to.deep.equal([...new Set(created)].sort());
  });

  it('refuses a table, an audit action, a link or a module claimed twice', () => {
    const base: WaypointModule = { name: 'a', tables: ['t'], routers: () => [], auditActions: { 'x.done': 'Did x' } };
    const twice = (other: Partial<WaypointModule>) => () =>
      assembleModules([base, { ...base, name: 'b', tables: [], auditActions: {}, ...other }]);
    expect(twice({ tables: ['t'] })).to.throw(/table t is declared by both a and b/);
    expect(twice({ auditActions: { 'x.done': 'Again' } })).to.throw(/audit action x.done/);
    expect(twice({ name: 'a' })).to.throw(/module a is listed twice/);
    const nav = [{ href: '/x', label: 'X', order: 1 }];
    expect(() =>
      assembleModules([
        { ...base, navigation: nav },
        { ...base, name: 'b', tables: [], auditActions: {}, navigation: nav },
      ]),
    ).to.throw(/navigation link \/x/);
  });
});
