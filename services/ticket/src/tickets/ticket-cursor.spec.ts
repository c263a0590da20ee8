import { randomUUID } from 'node:crypto';
import { BadUserInputError } from '@servicedesk/platform';
import { decodeTicketCursor, encodeTicketCursor } from './ticket-cursor';

function decodeError(value: string, field?: string): BadUserInputError {
  try {
    decodeTicketCursor(value, field);
  } catch (error) {
    if (error instanceof BadUserInputError) return error;
    throw error;
  }
  throw new Error(`"${value}" was accepted as a cursor`);
}

const encodeJson = (document: unknown) =>
  Buffer.from(JSON.stringify(document)).toString('base64url');

describe('ticket cursor', () => {
  it('round-trips the position to the millisecond', () => {
    const position = { createdAt: new Date('2025-06-01T12:34:56.789Z'), id: randomUUID() };
    expect(decodeTicketCursor(encodeTicketCursor(position))).toEqual(position);
  });

  it('is opaque: URL-safe base64 without the raw values in clear', () => {
    const id = randomUUID();
    const cursor = encodeTicketCursor({ createdAt: new Date(), id });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain(id);
  });

  it.each([
    ['garbage', 'not a cursor!'],
    ['base64 of non-JSON', Buffer.from('hello').toString('base64url')],
    ['an unknown version', encodeJson({ v: 2, c: '2025-06-01T12:34:56.789Z', i: randomUUID() })],
    ['a bad date', encodeJson({ v: 1, c: 'yesterday', i: randomUUID() })],
    ['a bad id', encodeJson({ v: 1, c: '2025-06-01T12:34:56.789Z', i: 'ticket-1' })],
    ['an empty string', ''],
  ])('rejects %s with BAD_USER_INPUT on field after', (_case, value) => {
    const error = decodeError(value);
    expect(error.field).toBe('after');
    expect(error.message).toBe('is not a valid cursor');
  });

  it('names the field it was given', () => {
    expect(decodeError('nope', 'tickets.after').field).toBe('tickets.after');
  });
});
