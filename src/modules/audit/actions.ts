/**
 * Every action the audit log can hold, with the words the school's audit page shows.
 * Adding an action here is the only way to write it (AuditAction is this object's keys).
 */
export const auditActions = {
  'auth.sign_in': 'Signed in',
  'auth.sign_in_failed': 'Sign-in failed',
  'auth.sign_in_throttled': 'Sign-in blocked: too many attempts',
  'auth.sign_out': 'Signed out',
  'auth.sign_out_everywhere': 'Signed out of every device',
  'auth.session_expired': 'Session timed out',
  'auth.password_changed': 'Changed password',
  'auth.password_reset_requested': 'Asked for a password reset',
  'auth.password_reset': 'Reset password',
  'auth.invitation_accepted': 'Accepted invitation',
  'access.denied': 'Access denied',
  'audit.viewed': 'Viewed the audit log',
  'org.created': 'Created an organisation',
  'org.admin_invited': 'Invited an organisation admin',
  'staff.invited': 'Invited a staff member',
  'staff.role_added': 'Gave a role',
  'staff.role_removed': 'Removed a role',
  'staff.disabled': 'Disabled a staff member',
  'staff.enabled': 'Re-enabled a staff member',
  'staff.groups_changed': 'Changed group assignments',
  'settings.sharing_changed': 'Changed data sharing',
  'settings.updated': 'Changed school settings',
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
  'trust.school_viewed': 'Trust or LA viewed pupils',
  'system.demo_seeded': 'Demo data created',
} as const;

export type AuditAction = keyof typeof auditActions;

export function auditActionLabel(action: string): string {
  return (auditActions as Record<string, string>)[action] ?? action;
}
