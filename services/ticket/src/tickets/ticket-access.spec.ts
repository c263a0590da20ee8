import { randomUUID } from 'node:crypto';
import { canSeeInternalComments, canSeeTicket, ticketScopeOf } from './ticket-access';

const identity = (role: 'CUSTOMER' | 'AGENT' | 'ADMIN') => ({ userId: randomUUID(), role });

describe('ticket access', () => {
  it('scopes customers to the tickets they requested and nobody else', () => {
    const customer = identity('CUSTOMER');
    expect(ticketScopeOf(customer)).toEqual({ requesterId: customer.userId });
    expect(ticketScopeOf(identity('AGENT'))).toEqual({});
    expect(ticketScopeOf(identity('ADMIN'))).toEqual({});
  });

  it('shows a ticket to its requester and to the support team only', () => {
    const customer = identity('CUSTOMER');
    const own = { requesterId: customer.userId };
    const someoneElses = { requesterId: randomUUID() };
    expect(canSeeTicket(customer, own)).toBe(true);
    expect(canSeeTicket(customer, someoneElses)).toBe(false);
    expect(canSeeTicket(identity('AGENT'), someoneElses)).toBe(true);
    expect(canSeeTicket(identity('ADMIN'), someoneElses)).toBe(true);
  });

  it('shows internal comments to the support team only', () => {
    expect(canSeeInternalComments(identity('CUSTOMER'))).toBe(false);
    expect(canSeeInternalComments(identity('AGENT'))).toBe(true);
    expect(canSeeInternalComments(identity('ADMIN'))).toBe(true);
  });
});
