/**
 * The assessments module's audit actions and the words the audit page shows for them: frameworks,
 * terms, scores, observations, notes, interventions and the dashboard.
 * The declaration below adds them to AuditActionRegistry, so `record()` accepts them; an action no
 * module declares does not type-check.
 */
export const assessmentsAuditActions = {
  'framework.created': 'Created an assessment framework',
  'framework.updated': 'Changed an assessment framework',
  'term.updated': 'Changed term dates',
  'assessment.recorded': 'Recorded assessments',
  'assessment.viewed': 'Viewed assessments',
  'observation.recorded': 'Recorded an observation',
  'note.written': 'Wrote a note',
  'note.updated': 'Changed a note',
  'note.viewed': 'Read notes',
  'intervention.created': 'Created an intervention',
  'intervention.updated': 'Changed an intervention',
  'intervention.viewed': 'Viewed intervention impact',
  'dashboard.viewed': 'Viewed the school dashboard',
  'provision.exported': 'Downloaded a provision map (CSV)',
  'overview.viewed': 'Viewed new restricted notes and low or falling wellbeing (home page)',
} as const;

declare module '../audit/index.js' {
  interface AuditActionRegistry {
    assessments: keyof typeof assessmentsAuditActions;
  }
}
