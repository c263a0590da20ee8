import type { SubscriptionDeclaration } from '@servicedesk/messaging';
import { NotificationEventsHandler } from './delivery/notification-events.handler';
import { NOTIFIABLE_EVENTS } from './rules/notification-rules';

/**
 * Everything the notification service reacts to: the events that notify someone (see
 * `rules/notification-rules.ts`) and `user.erased`, which forgets a person. Never its own
 * `notification.*` events.
 */
export const notificationSubscriptions: SubscriptionDeclaration[] = [
  {
    queue: 'notification.deliveries',
    events: [...NOTIFIABLE_EVENTS, 'user.erased'],
    handler: NotificationEventsHandler,
  },
];
