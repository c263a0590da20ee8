import { randomUUID } from 'node:crypto';
import { EventPayload } from '@servicedesk/contracts';
import { NewEvent } from '@servicedesk/messaging';

export function aUserRegistered(userId: string = randomUUID()): NewEvent<'user.registered'> {
  const payload: EventPayload<'user.registered'> = {
    userId,
    email: `${userId.slice(0, 8)}@example.test`,
    name: 'Test User',
    role: 'CUSTOMER',
    timeZone: 'Europe/Paris',
  };
  return { type: 'user.registered', aggregateId: userId, payload };
}

export function aStatusChange(
  ticketId: string,
  version: number,
): NewEvent<'ticket.status_changed'> {
  return {
    type: 'ticket.status_changed',
    aggregateId: ticketId,
    payload: {
      ticketId,
      requesterId: randomUUID(),
      assigneeId: null,
      from: 'OPEN',
      to: 'IN_PROGRESS',
      version,
    },
  };
}
