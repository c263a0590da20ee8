import { BadUserInputError } from '@servicedesk/platform';
import {
  TICKET_STATUSES,
  TicketStatus,
  assertTransition,
  canTransition,
  isDone,
  isFinal,
  mayChangeStatus,
  reachesResolution,
} from './ticket-status';

const allowed: Array<[TicketStatus, TicketStatus]> = [
  ['OPEN', 'IN_PROGRESS'],
  ['OPEN', 'WAITING_ON_CUSTOMER'],
  ['OPEN', 'RESOLVED'],
  ['OPEN', 'CLOSED'],
  ['IN_PROGRESS', 'OPEN'],
  ['IN_PROGRESS', 'WAITING_ON_CUSTOMER'],
  ['IN_PROGRESS', 'RESOLVED'],
  ['WAITING_ON_CUSTOMER', 'IN_PROGRESS'],
  ['WAITING_ON_CUSTOMER', 'RESOLVED'],
  ['RESOLVED', 'IN_PROGRESS'],
  ['RESOLVED', 'CLOSED'],
];
const isAllowed = (from: TicketStatus, to: TicketStatus) =>
  allowed.some(([f, t]) => f === from && t === to);
const everyPair = TICKET_STATUSES.flatMap((from) =>
  TICKET_STATUSES.map((to) => [from, to] as const),
);

describe('ticket status machine', () => {
  it.each(everyPair)('%s → %s follows the transition table', (from, to) => {
    expect(canTransition(from, to)).toBe(isAllowed(from, to));
  });

  it('never allows staying in the same status', () => {
    for (const status of TICKET_STATUSES) expect(canTransition(status, status)).toBe(false);
  });

  it('rejects an invalid move with BAD_USER_INPUT on field status naming both statuses', () => {
    let error: unknown;
    try {
      assertTransition('CLOSED', 'OPEN');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BadUserInputError);
    expect((error as BadUserInputError).field).toBe('status');
    expect((error as BadUserInputError).message).toBe('cannot move from CLOSED to OPEN');
  });

  it('accepts a valid move', () => {
    expect(() => assertTransition('OPEN', 'IN_PROGRESS')).not.toThrow();
  });

  it('treats RESOLVED and CLOSED as done and only CLOSED as final', () => {
    expect(TICKET_STATUSES.filter(isDone)).toEqual(['RESOLVED', 'CLOSED']);
    expect(TICKET_STATUSES.filter(isFinal)).toEqual(['CLOSED']);
  });

  it('meets the resolution only on a move from a waiting status into a done one', () => {
    expect(allowed.filter(([from, to]) => reachesResolution(from, to))).toEqual([
      ['OPEN', 'RESOLVED'],
      ['OPEN', 'CLOSED'],
      ['IN_PROGRESS', 'RESOLVED'],
      ['WAITING_ON_CUSTOMER', 'RESOLVED'],
    ]);
    expect(reachesResolution('RESOLVED', 'CLOSED')).toBe(false);
  });

  it('lets agents and admins make every move and customers only close or reopen a resolved ticket', () => {
    for (const [from, to] of everyPair) {
      expect(mayChangeStatus('AGENT', from, to)).toBe(true);
      expect(mayChangeStatus('ADMIN', from, to)).toBe(true);
      const customerMay = from === 'RESOLVED' && (to === 'CLOSED' || to === 'IN_PROGRESS');
      expect(mayChangeStatus('CUSTOMER', from, to)).toBe(customerMay);
    }
  });
});
