import { SubscriptionDeclaration } from '@servicedesk/messaging';
import { AuditEventHandler } from './audit-log/audit-event.handler';

/** Everything the audit service reacts to: every event of the platform (see the registry), into the log. */
export const auditSubscriptions: SubscriptionDeclaration[] = [
  { queue: 'audit.events', handler: AuditEventHandler },
];
