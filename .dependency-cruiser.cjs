/**
 * Import rules, checked by `npm run lint` (and so by `npm test`). docs/adding-a-module.md explains them.
 * Modules are layered, lowest first: audit, tenancy, pupils, assessments, then sharing and parents.
 * A module may import a lower module's index.ts and nothing else of it; never a higher one.
 */
const layers = ['audit', 'tenancy', 'pupils', 'assessments', 'sharing|parents'];
const above = (i) => layers.slice(i + 1).join('|');

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Files must not import each other in a circle.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'module-internals',
      severity: 'error',
      comment: "A module uses another module only through that module's index.ts.",
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '^src/modules/[^/]+/', pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/index\\.ts$'] },
    },
    {
      name: 'kernel-imports-no-module',
      severity: 'error',
      comment:
        'src/http, src/db, src/policy, src/mail, src/lib, config and logger know no module: modules plug into them.',
      from: { path: '^src/(http|db|policy|mail|lib|config\\.ts|logger\\.ts|errors\\.ts|paths\\.ts)' },
      to: { path: '^src/modules/' },
    },
    ...layers.slice(0, -1).map((layer, i) => ({
      name: `layer-${layer}`,
      severity: 'error',
      comment: `Module ${layer} must not import a higher module (${above(i)}).`,
      from: { path: `^src/modules/(${layer})/` },
      to: { path: `^src/modules/(${above(i)})/` },
    })),
    {
      name: 'sharing-parents-apart',
      severity: 'error',
      comment: 'The trust/LA portal and the parent portal do not use each other.',
      from: { path: '^src/modules/(sharing|parents)/' },
      to: { path: '^src/modules/(sharing|parents)/', pathNot: '^src/modules/$1/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
