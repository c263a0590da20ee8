import type { SubscriptionDeclaration } from '@servicedesk/messaging';
import { NotificationEventsHandler } from './delivery/notification-events.handler';

/**
 * Everything the notification service reacts to: the registry binds the events that notify
 * someone (see `rules/notification-rules.ts`) and `user.erased`, which forgets a person.
 */
export const notificationSubscriptions: SubscriptionDeclaration[] = [
  { queue: 'notification.deliveries', handler: NotificationEventsHandler },
];
