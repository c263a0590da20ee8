import { BadUserInputError, encodeCursor } from '@servicedesk/platform';
import { decodeUserCursor, encodeUserCursor } from './user-cursor';

const cursor = {
  createdAt: new Date('2025-03-01T12:34:56.789Z'),
  id: '0b6c2f7e-4f0a-4d5e-9a39-2f5b9c1d8e77',
};

describe('user cursors', () => {
  it('round-trip the ordering key to the millisecond', () => {
    expect(decodeUserCursor(encodeUserCursor(cursor))).toEqual(cursor);
  });

  it.each([
    encodeCursor({ a: 1 }),
    encodeCursor(['yesterday', cursor.id]),
    encodeCursor([cursor.createdAt.toISOString(), 'x']),
    encodeCursor([cursor.createdAt.toISOString(), cursor.id, 'extra']),
  ])('reject %p as BAD_USER_INPUT on "after"', (value) => {
    const attempt = () => decodeUserCursor(value);
    expect(attempt).toThrow(BadUserInputError);
    expect(attempt).toThrow(expect.objectContaining({ field: 'after' }));
  });
});
