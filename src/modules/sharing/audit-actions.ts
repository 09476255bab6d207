/**
 * The sharing module's audit actions and the words the audit page shows for them: what trusts and
 * local authorities read of a school's pupils.
 * The declaration below adds them to AuditActionRegistry, so `record()` accepts them; an action no
 * module declares does not type-check.
 */
export const sharingAuditActions = {
  'trust.school_viewed': 'Trust or LA viewed pupils',
} as const;

declare module '../audit/index.js' {
  interface AuditActionRegistry {
    sharing: keyof typeof sharingAuditActions;
  }
}
