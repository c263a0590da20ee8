import { SUBSCRIPTIONS } from '@servicedesk/contracts';
import { subscriptionsFromRegistry } from '@servicedesk/messaging';
import { notificationSubscriptions } from './notification.subscriptions';
import { NOTIFIABLE_EVENTS } from './rules/notification-rules';

describe('notificationSubscriptions', () => {
  it('handle exactly the notification queues of the subscription registry', () => {
    expect(() =>
      subscriptionsFromRegistry('notification', SUBSCRIPTIONS, notificationSubscriptions),
    ).not.toThrow();
  });

  it('receive every event a rule notifies of, and the erasures', () => {
    expect([...SUBSCRIPTIONS['notification.deliveries']].sort()).toEqual(
      [...NOTIFIABLE_EVENTS, 'user.erased'].sort(),
    );
  });
});
