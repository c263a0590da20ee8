import { randomUUID } from 'node:crypto';
import { BadUserInputError, encodeCursor } from '@servicedesk/platform';
import { decodeAppointmentCursor, encodeAppointmentCursor } from './appointment-cursor';

describe('appointment cursor', () => {
  it('round-trips the position to the millisecond', () => {
    const position = { startsAt: new Date('2030-06-01T12:34:56.789Z'), id: randomUUID() };
    expect(decodeAppointmentCursor(encodeAppointmentCursor(position))).toEqual(position);
  });

  it.each([
    ['an unknown version', encodeCursor({ v: 2, s: '2030-06-01T12:34:56.789Z', i: randomUUID() })],
    ['a bad date', encodeCursor({ v: 1, s: 'tomorrow', i: randomUUID() })],
    [
      'a cursor of another list',
      encodeCursor({ v: 1, c: '2030-06-01T12:34:56.789Z', i: randomUUID() }),
    ],
    ['garbage', '!!!'],
  ])('rejects %s with BAD_USER_INPUT on field after', (_case, value) => {
    const attempt = () => decodeAppointmentCursor(value);
    expect(attempt).toThrow(BadUserInputError);
    expect(attempt).toThrow(expect.objectContaining({ field: 'after' }));
  });
});
