import { SUBSCRIPTIONS } from '@servicedesk/contracts';
import { subscriptionsFromRegistry } from '@servicedesk/messaging';
import { notificationSubscriptions } from './notification.subscriptions';
import { NOTIFICATION_RULES } from './rules/notification-rules';
import { NOTIFICATION_TEMPLATES } from './templates/notification-templates';

describe('notificationSubscriptions', () => {
  it('handle exactly the notification queues of the subscription registry', () => {
    expect(() =>
      subscriptionsFromRegistry('notification', SUBSCRIPTIONS, notificationSubscriptions),
    ).not.toThrow();
  });

  it('have a rule and a template for every event they receive but the erasures', () => {
    const notified = SUBSCRIPTIONS['notification.deliveries'].filter((t) => t !== 'user.erased');
    expect(Object.keys(NOTIFICATION_RULES).sort()).toEqual([...notified].sort());
    expect(Object.keys(NOTIFICATION_TEMPLATES).sort()).toEqual([...notified].sort());
  });
});
