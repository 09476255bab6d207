// The tenancy module's only public surface. Other modules import this file and nothing else of tenancy.

// --- Services other modules call, with their own transaction (add exports here) ---
export { activeStaffOf, displayNames, isActiveMember, safeguardingSettings, type StaffName } from './people.js';

// --- The module description app.ts loops over ---
