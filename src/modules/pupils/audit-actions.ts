/**
 * The pupils module's audit actions and the words the audit page shows for them: pupil records
 * and their details, classes and groups, and MIS imports.
 * The declaration below adds them to AuditActionRegistry, so `record()` accepts them; an action no
 * module declares does not type-check.
 */
export const pupilsAuditActions = {
  'group.viewed': 'Viewed a class or group',
  'pupil.listed': 'Listed pupils',
  'pupil.viewed': 'Viewed a pupil',
  'pupil.created': 'Added a pupil',
  'pupil.updated': 'Changed a pupil record',
  'pupil.left': 'Marked a pupil as left',
  'pupil.returned': 'Returned a pupil to the roll',
  'pupil.exported': 'Exported pupils (CSV)',
  'pupil.contact_added': 'Added a contact',
  'pupil.contact_updated': 'Changed a contact',
  'pupil.contact_removed': 'Removed a contact',
  'pupil.fsm_changed': 'Changed free school meal periods',
  'pupil.flag_added': 'Gave a support flag',
  'pupil.flag_ended': 'Ended a support flag',
  'support_flag.created': 'Created a support flag',
  'support_flag.archived': 'Archived a support flag',
  'group.created': 'Created a class or group',
  'group.updated': 'Changed a class or group',
  'group.members_changed': 'Changed who is in a group',
  'group.staff_changed': 'Changed who teaches a group',
  'import.previewed': 'Previewed an MIS import',
  'import.applied': 'Applied an MIS import',
  'import.cancelled': 'Cancelled an MIS import',
  'import.refused': 'MIS import refused: not permitted',
} as const;

declare module '../audit/index.js' {
  interface AuditActionRegistry {
    pupils: keyof typeof pupilsAuditActions;
  }
}
