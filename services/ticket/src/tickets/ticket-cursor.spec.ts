import { randomUUID } from 'node:crypto';
import { BadUserInputError, encodeCursor } from '@servicedesk/platform';
import { decodeTicketCursor, encodeTicketCursor } from './ticket-cursor';

describe('ticket cursor', () => {
  it('round-trips the position to the millisecond', () => {
    const position = { createdAt: new Date('2025-06-01T12:34:56.789Z'), id: randomUUID() };
    expect(decodeTicketCursor(encodeTicketCursor(position))).toEqual(position);
  });

  it.each([
    ['an unknown version', encodeCursor({ v: 2, c: '2025-06-01T12:34:56.789Z', i: randomUUID() })],
    ['a bad date', encodeCursor({ v: 1, c: 'yesterday', i: randomUUID() })],
    ['a bad id', encodeCursor({ v: 1, c: '2025-06-01T12:34:56.789Z', i: 'ticket-1' })],
    ['a cursor of another list', encodeCursor(['2025-06-01T12:34:56.789Z', randomUUID()])],
  ])('rejects %s with BAD_USER_INPUT on field after', (_case, value) => {
    const attempt = () => decodeTicketCursor(value);
    expect(attempt).toThrow(BadUserInputError);
    expect(attempt).toThrow(expect.objectContaining({ field: 'after' }));
  });
});
