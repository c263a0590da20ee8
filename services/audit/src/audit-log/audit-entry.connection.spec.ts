import { BadUserInputError } from '@servicedesk/platform';
import {
  DEFAULT_PAGE_SIZE,
  decodeCursor,
  encodeCursor,
  pageRequest,
  toConnection,
} from './audit-entry.connection';

function fieldOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof BadUserInputError) return error.field;
    throw error;
  }
  return undefined;
}

describe('audit entry pagination', () => {
  it('round-trips a seq through an opaque cursor', () => {
    const cursor = encodeCursor('9007199254740993');
    expect(cursor).not.toContain('9007199254740993');
    expect(decodeCursor(cursor)).toBe('9007199254740993');
  });

  it.each([
    '',
    'garbage',
    encodeCursor('12').slice(0, -2),
    Buffer.from('audit:-1').toString('base64url'),
  ])('rejects %j as a cursor, naming the after argument', (cursor) => {
    expect(fieldOf(() => decodeCursor(cursor))).toBe('after');
  });

  it('defaults to the first 20 entries from the start', () => {
    expect(pageRequest({})).toEqual({ first: DEFAULT_PAGE_SIZE, afterSeq: '0' });
    expect(pageRequest({ first: null, after: null })).toEqual({ first: 20, afterSeq: '0' });
  });

  it.each([101, -1, 1.5])('rejects first = %p', (first) => {
    expect(fieldOf(() => pageRequest({ first }))).toBe('first');
  });

  it('builds a connection from one row more than asked for', () => {
    const rows = ['1', '2', '3'].map((seq) => ({ seq }));
    const page = toConnection(rows, 2, (row) => row.seq);
    expect(page.edges.map((edge) => edge.node)).toEqual(['1', '2']);
    expect(page.pageInfo).toEqual({ hasNextPage: true, endCursor: encodeCursor('2') });
    expect(toConnection(rows.slice(0, 2), 2, (row) => row.seq).pageInfo.hasNextPage).toBe(false);
    expect(toConnection([], 2, (row: { seq: string }) => row.seq).pageInfo).toEqual({
      hasNextPage: false,
      endCursor: null,
    });
  });
});
