import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@servicedesk/contracts';
import { buildEnvelope } from '@servicedesk/messaging';
import type { Actor } from './bench-client';

/**
 * The events the pipeline benchmark puts in front of the consumers and the relay itself:
 * ticket.created envelopes as the ticket service writes them, validated against their
 * contract, opened by customers the services know so each one notifies somebody.
 */

export const TICKET_CREATED = 'ticket.created' as const;
/** The service that emits ticket.created, whose outbox the relay comparison fills. */
export const TICKET_SERVICE = 'ticket';

const HOUR_MS = 3_600_000;

/** `count` envelopes of new tickets, opened in turn by each of `requesters`. */
export function ticketCreatedEnvelopes(
  requesters: readonly Pick<Actor, 'id'>[],
  count: number,
): EventEnvelope<typeof TICKET_CREATED>[] {
  const tag = randomUUID().slice(0, 8);
  const now = Date.now();
  return Array.from({ length: count }, (_, index) => {
    const requester = requesters[index % requesters.length];
    const ticketId = randomUUID();
    return buildEnvelope(
      {
        type: TICKET_CREATED,
        aggregateId: ticketId,
        actor: { id: requester.id, role: 'CUSTOMER' },
        payload: {
          ticketId,
          requesterId: requester.id,
          title: `Backlog ${tag} #${index + 1}`,
          priority: 'NORMAL',
          status: 'OPEN',
          tags: ['bench'],
          firstResponseDueAt: new Date(now + 4 * HOUR_MS).toISOString(),
          resolutionDueAt: new Date(now + 24 * HOUR_MS).toISOString(),
        },
      },
      { source: TICKET_SERVICE, context: undefined },
    );
  });
}
