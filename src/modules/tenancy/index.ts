// The tenancy module's only public surface. Other modules import this file and nothing else of tenancy.

// --- Services other modules call, with their own transaction (add exports here) ---

// --- The module description app.ts loops over ---
