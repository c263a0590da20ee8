/** What a notification is about; people opt in or out per category and channel. */
export const NOTIFICATION_CATEGORIES = [
  'ACCOUNT',
  'SECURITY',
  'TICKET_UPDATES',
  'TICKET_COMMENTS',
  'SLA',
  'APPOINTMENTS',
  'REMINDERS',
] as const;
export type NotificationCategory = (typeof NOTIFICATION_CATEGORIES)[number];

export const NOTIFICATION_CHANNELS = ['EMAIL', 'IN_APP'] as const;
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];

export const NOTIFICATION_STATUSES = ['PENDING', 'SENT', 'FAILED'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

/** Security mail (e.g. a role change) cannot be turned off: it is how a takeover is noticed. */
export function isMandatoryEmail(category: NotificationCategory): boolean {
  return category === 'SECURITY';
}
