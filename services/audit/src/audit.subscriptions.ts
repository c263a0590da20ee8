import { EVENT_TYPES } from '@servicedesk/contracts';
import { SubscriptionDeclaration } from '@servicedesk/messaging';
import { AuditEventHandler } from './audit-log/audit-event.handler';

/** Everything the audit service reacts to: every event of the platform, into the log. */
export const auditSubscriptions: SubscriptionDeclaration[] = [
  { queue: 'audit.events', events: EVENT_TYPES, handler: AuditEventHandler },
];
