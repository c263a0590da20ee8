import type { Role } from '@servicedesk/contracts';
import type { Identity } from '@servicedesk/platform';
import type { TicketScope } from './ticket-filter';

/**
 * Who may see what. Customers see only the tickets they requested; to them another
 * customer's ticket does not exist (NOT_FOUND, never FORBIDDEN, which would confirm it
 * does). Agents and admins see every ticket and every comment.
 */
export function isSupportStaff(role: Role): boolean {
  return role === 'AGENT' || role === 'ADMIN';
}

export function ticketScopeOf(identity: Identity): TicketScope {
  return isSupportStaff(identity.role) ? {} : { requesterId: identity.userId };
}

export function canSeeTicket(identity: Identity, ticket: { requesterId: string }): boolean {
  return isSupportStaff(identity.role) || ticket.requesterId === identity.userId;
}

/** Internal comments are written and read by the support team only. */
export function canSeeInternalComments(identity: Identity): boolean {
  return isSupportStaff(identity.role);
}
