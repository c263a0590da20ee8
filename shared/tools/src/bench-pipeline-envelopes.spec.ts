import { randomUUID } from 'node:crypto';
import { parseEnvelope } from '@servicedesk/contracts';
import { ticketCreatedEnvelopes } from './bench-pipeline-envelopes';

describe('ticketCreatedEnvelopes', () => {
  const requesters = [{ id: randomUUID() }, { id: randomUUID() }];

  it('builds envelopes that honour the ticket.created contract', () => {
    const envelopes = ticketCreatedEnvelopes(requesters, 3);
    expect(envelopes).toHaveLength(3);
    for (const envelope of envelopes) expect(parseEnvelope(envelope)).toEqual(envelope);
  });

  it('opens the tickets in turn for each requester, as the ticket service would emit them', () => {
    const [first, second, third] = ticketCreatedEnvelopes(requesters, 3);
    expect(first).toMatchObject({
      type: 'ticket.created',
      source: 'ticket',
      aggregateType: 'ticket',
      aggregateId: first.payload.ticketId,
      actor: { id: requesters[0].id, role: 'CUSTOMER' },
      payload: { requesterId: requesters[0].id },
    });
    expect(second.payload.requesterId).toBe(requesters[1].id);
    expect(third.payload.requesterId).toBe(requesters[0].id);
  });

  it('gives every event and every ticket an id of its own', () => {
    const envelopes = ticketCreatedEnvelopes(requesters, 50);
    expect(new Set(envelopes.map((e) => e.id)).size).toBe(50);
    expect(new Set(envelopes.map((e) => e.aggregateId)).size).toBe(50);
  });
});
