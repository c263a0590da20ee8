import { SUBSCRIPTIONS } from '@servicedesk/contracts';
import { subscriptionsFromRegistry } from '@servicedesk/messaging';
import { ticketSubscriptions } from './ticket.subscriptions';

describe('ticketSubscriptions', () => {
  it('handle exactly the ticket queues of the subscription registry', () => {
    expect(() =>
      subscriptionsFromRegistry('ticket', SUBSCRIPTIONS, ticketSubscriptions),
    ).not.toThrow();
  });
});
