import { SUBSCRIPTIONS } from '@servicedesk/contracts';
import { subscriptionsFromRegistry } from '@servicedesk/messaging';
import { appointmentSubscriptions } from './appointment.subscriptions';

describe('appointmentSubscriptions', () => {
  it('handle exactly the appointment queues of the subscription registry', () => {
    expect(() =>
      subscriptionsFromRegistry('appointment', SUBSCRIPTIONS, appointmentSubscriptions),
    ).not.toThrow();
  });
});
