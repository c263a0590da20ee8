import { SUBSCRIPTIONS } from '@servicedesk/contracts';
import { subscriptionsFromRegistry } from '@servicedesk/messaging';
import { auditSubscriptions } from './audit.subscriptions';

describe('auditSubscriptions', () => {
  it('handle exactly the audit queues of the subscription registry', () => {
    expect(() =>
      subscriptionsFromRegistry('audit', SUBSCRIPTIONS, auditSubscriptions),
    ).not.toThrow();
  });
});
