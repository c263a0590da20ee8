import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { BadUserInputError } from './errors';
import {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  decodeCursor,
  decodeKeysetCursor,
  encodeCursor,
  encodeKeysetCursor,
  pageSizeSchema,
  toConnection,
} from './pagination';

const position = z.object({ id: z.uuid() });

describe('cursors', () => {
  it('round-trip the position', () => {
    const id = randomUUID();
    expect(decodeCursor(encodeCursor({ id }), position)).toEqual({ id });
  });

  it('are opaque: URL-safe base64 without the raw values in clear', () => {
    const id = randomUUID();
    const cursor = encodeCursor({ id });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain(id);
  });

  it.each([
    ['garbage', 'not a cursor!'],
    ['base64 of non-JSON', Buffer.from('hello').toString('base64url')],
    ['an empty string', ''],
    ['a position the list does not accept', encodeCursor({ id: 'ticket-1' })],
  ])('reject %s with BAD_USER_INPUT on field after', (_case, value) => {
    const attempt = () => decodeCursor(value, position);
    expect(attempt).toThrow(BadUserInputError);
    expect(attempt).toThrow(
      expect.objectContaining({ field: 'after', message: 'after: is not a cursor of this list' }),
    );
  });

  it('name the field they were given', () => {
    expect(() => decodeCursor('nope', position, 'tickets.after')).toThrow(
      expect.objectContaining({ field: 'tickets.after' }),
    );
  });
});

describe('page size', () => {
  const issueOf = (schema: z.ZodType, value: unknown) => {
    const result = schema.safeParse(value);
    if (result.success) throw new Error(`accepted ${JSON.stringify(value)}`);
    return result.error.issues[0].message;
  };

  it('defaults to 20 when absent or null', () => {
    expect(DEFAULT_PAGE_SIZE).toBe(20);
    expect(pageSizeSchema({ min: 1 }).parse(undefined)).toBe(DEFAULT_PAGE_SIZE);
    expect(pageSizeSchema({ min: 0 }).parse(null)).toBe(DEFAULT_PAGE_SIZE);
  });

  it('accepts 0 only where the list allows an empty page', () => {
    expect(pageSizeSchema({ min: 0 }).parse(0)).toBe(0);
    expect(issueOf(pageSizeSchema({ min: 1 }), 0)).toBe('must be at least 1');
    expect(issueOf(pageSizeSchema({ min: 0 }), -1)).toBe('must not be negative');
  });

  it('accepts up to 100 whole entries', () => {
    expect(pageSizeSchema({ min: 1 }).parse(MAX_PAGE_SIZE)).toBe(100);
    expect(issueOf(pageSizeSchema({ min: 1 }), 101)).toBe('must be at most 100');
    expect(() => pageSizeSchema({ min: 1 }).parse(1.5)).toThrow();
  });
});

describe('connections', () => {
  const cursorOf = (row: { id: string }) => `cursor-${row.id}`;

  it('are built from one row more than asked for', () => {
    const rows = ['1', '2', '3'].map((id) => ({ id }));
    const page = toConnection(rows, 2, cursorOf);
    expect(page.edges).toEqual([
      { cursor: 'cursor-1', node: rows[0] },
      { cursor: 'cursor-2', node: rows[1] },
    ]);
    expect(page.pageInfo).toEqual({ hasNextPage: true, endCursor: 'cursor-2' });
  });

  it('have no next page when no extra row came back', () => {
    const rows = ['1', '2'].map((id) => ({ id }));
    expect(toConnection(rows, 2, cursorOf).pageInfo).toEqual({
      hasNextPage: false,
      endCursor: 'cursor-2',
    });
  });

  it('have no end cursor when empty', () => {
    expect(toConnection([], 2, cursorOf).pageInfo).toEqual({
      hasNextPage: false,
      endCursor: null,
    });
    expect(toConnection([{ id: '1' }], 0, cursorOf)).toEqual({
      edges: [],
      pageInfo: { hasNextPage: true, endCursor: null },
    });
  });
});

describe('keyset cursors', () => {
  const lastSeen = {
    at: new Date('2026-03-29T01:30:00.123Z'),
    id: '6f1c2b8e-2f43-4c39-9a53-2b1f1c1d9e11',
  };

  it('round-trip the position of their own list', () => {
    expect(decodeKeysetCursor('tickets', encodeKeysetCursor('tickets', lastSeen))).toEqual(
      lastSeen,
    );
  });

  it("refuse another list's cursor with BAD_USER_INPUT on after", () => {
    const cursor = encodeKeysetCursor('appointments', lastSeen);
    expect(() => decodeKeysetCursor('tickets', cursor)).toThrow(
      expect.objectContaining({ field: 'after' }),
    );
  });
});
