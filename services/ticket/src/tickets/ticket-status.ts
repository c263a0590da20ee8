import { EventPayload, Role, eventPayloadSchemas } from '@servicedesk/contracts';
import { BadUserInputError } from '@servicedesk/platform';

export type TicketStatus = EventPayload<'ticket.status_changed'>['to'];
export type TicketPriority = EventPayload<'ticket.created'>['priority'];

/** The event contracts are the source of truth for the values. */
export const TICKET_STATUSES: readonly TicketStatus[] =
  eventPayloadSchemas['ticket.status_changed'].shape.to.options;
export const TICKET_PRIORITIES: readonly TicketPriority[] =
  eventPayloadSchemas['ticket.created'].shape.priority.options;

/**
 * The ticket life cycle. A ticket is worked (IN_PROGRESS), may wait for the customer,
 * is resolved, and is finally closed; a resolved ticket can be reopened. CLOSED is final.
 */
const TRANSITIONS: Readonly<Record<TicketStatus, readonly TicketStatus[]>> = {
  OPEN: ['IN_PROGRESS', 'WAITING_ON_CUSTOMER', 'RESOLVED', 'CLOSED'],
  IN_PROGRESS: ['OPEN', 'WAITING_ON_CUSTOMER', 'RESOLVED'],
  WAITING_ON_CUSTOMER: ['IN_PROGRESS', 'RESOLVED'],
  RESOLVED: ['IN_PROGRESS', 'CLOSED'],
  CLOSED: [],
};

/** Statuses in which the customer no longer waits for the support team. */
export const DONE_STATUSES: readonly TicketStatus[] = ['RESOLVED', 'CLOSED'];

export function canTransition(from: TicketStatus, to: TicketStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Throws `BAD_USER_INPUT` on field `status` when the life cycle does not allow the move. */
export function assertTransition(from: TicketStatus, to: TicketStatus): void {
  if (!canTransition(from, to)) {
    throw new BadUserInputError('status', `cannot move from ${from} to ${to}`);
  }
}

export function isDone(status: TicketStatus): boolean {
  return DONE_STATUSES.includes(status);
}

/**
 * Whether a move meets the resolution target: from a status the customer waits in into a
 * done one. RESOLVED → CLOSED meets nothing (it was met when the ticket was resolved); a
 * reopened ticket that is resolved again meets it again.
 */
export function reachesResolution(from: TicketStatus, to: TicketStatus): boolean {
  return !isDone(from) && isDone(to);
}

export function isFinal(status: TicketStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

/**
 * Agents and admins drive the whole life cycle. A customer only answers a resolution on
 * their own ticket: accept it (close) or reject it (reopen).
 */
export function mayChangeStatus(role: Role, from: TicketStatus, to: TicketStatus): boolean {
  if (role !== 'CUSTOMER') return true;
  return from === 'RESOLVED' && (to === 'CLOSED' || to === 'IN_PROGRESS');
}
