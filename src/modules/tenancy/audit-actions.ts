/**
 * The tenancy module's audit actions and the words the audit page shows for them: sign-in and
 * sessions, organisations, staff and roles, invitations and school settings.
 * The declaration below adds them to AuditActionRegistry, so `record()` accepts them; an action no
 * module declares does not type-check.
 */
export const tenancyAuditActions = {
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
  'auth.invitation_declined': 'Declined invitation',
  'auth.context_chosen': 'Started working here',
  'org.created': 'Created an organisation',
  'org.admin_invited': 'Invited an organisation admin',
  'org.admin_change_requested': 'Waypoint operator asked to change the admin',
  'staff.admin_request_approved': 'Approved an admin change',
  'staff.admin_request_refused': 'Refused an admin change',
  'staff.invited': 'Invited a staff member',
  'staff.invitation_revoked': 'Withdrew an invitation',
  'staff.role_added': 'Gave a role',
  'staff.role_removed': 'Removed a role',
  'staff.disabled': 'Disabled a staff member',
  'staff.enabled': 'Re-enabled a staff member',
  'staff.groups_changed': 'Changed group assignments',
  'settings.sharing_changed': 'Changed data sharing',
  'settings.updated': 'Changed school settings',
} as const;

declare module '../audit/index.js' {
  interface AuditActionRegistry {
    tenancy: keyof typeof tenancyAuditActions;
  }
}
