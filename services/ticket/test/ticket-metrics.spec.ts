// The ticket service's business counters: exported at 0 from start-up, and counted once the
// change has committed.
import type { Registry } from 'prom-client';
import { METRICS_REGISTRY } from '@servicedesk/platform';
import { anIdentity, metricSample, waitFor } from '@servicedesk/testing';
import { changeStatus, createTicket } from './builders';
import { TicketServiceFixture, startTicketService } from './ticket-service.fixture';

describe('ticket metrics', () => {
  let service: TicketServiceFixture;
  const customer = anIdentity('CUSTOMER');
  const agent = anIdentity('AGENT');

  beforeAll(async () => {
    service = await startTicketService();
    await service.registerUsers(customer, agent);
  });

  afterAll(() => service?.close());

  /** The counters as /metrics serves them, read from the registry it serves. */
  async function counters() {
    const text = await service.app.get<Registry>(METRICS_REGISTRY).metrics();
    return {
      created: metricSample(text, 'messaging_published_total', { type: 'ticket.created' }),
      slaBreached: metricSample(text, 'messaging_published_total', { type: 'ticket.sla_breached' }),
      resolved: metricSample(text, 'tickets_resolved_total'),
    };
  }

  it('starts created, SLA breaches and resolved at 0, then counts a ticket resolved once, not again when closed', async () => {
    expect(await counters()).toEqual({ created: 0, slaBreached: 0, resolved: 0 });

    const ticket = await createTicket(service, customer);
    const resolved = await changeStatus(service, ticket, 'RESOLVED', agent);
    await changeStatus(service, resolved, 'CLOSED', customer);

    await waitFor(async () => (await counters()).created === 1, {
      description: 'ticket.created published',
    });
    expect(await counters()).toEqual({ created: 1, slaBreached: 0, resolved: 1 });
  });
});
