// Year groups live in src/lib/year-groups.ts (tenancy and assessments need them too). This re-export
// remains only until tenancy/admin-routes.ts and demo/seed.ts import src/lib directly; delete it then.
export * from '../../lib/year-groups.js';
