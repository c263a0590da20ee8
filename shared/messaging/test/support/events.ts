import { randomUUID } from 'node:crypto';
import { NewEvent } from '@servicedesk/messaging';
import { aPayload } from '@servicedesk/testing';

export function aUserRegistered(userId: string = randomUUID()): NewEvent<'user.registered'> {
  return {
    type: 'user.registered',
    aggregateId: userId,
    payload: aPayload('user.registered', userId),
  };
}

export function aStatusChange(
  ticketId: string,
  version: number,
): NewEvent<'ticket.status_changed'> {
  return {
    type: 'ticket.status_changed',
    aggregateId: ticketId,
    payload: aPayload('ticket.status_changed', ticketId, { assigneeId: null, version }),
  };
}

export function anSlaBreach(ticketId: string): NewEvent<'ticket.sla_breached'> {
  return {
    type: 'ticket.sla_breached',
    aggregateId: ticketId,
    payload: aPayload('ticket.sla_breached', ticketId),
  };
}
