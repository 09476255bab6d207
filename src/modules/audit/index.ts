// The audit module's only public surface. Other modules import this file and nothing else of audit.

// --- Services other modules call, with their own transaction (add exports here) ---
export { record } from './service.js';

// --- The module description app.ts loops over ---
