import { BadUserInputError, DEFAULT_PAGE_SIZE, encodeCursor } from '@servicedesk/platform';
import { ReadableAuditEntry } from '../personal-data/personal-data.vault';
import {
  decodeAuditCursor,
  encodeAuditCursor,
  pageRequest,
  toAuditEntryConnection,
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

const anEntry = (seq: string): ReadableAuditEntry => ({
  seq,
  eventId: '0b6c2f7e-4f0a-4d5e-9a39-2f5b9c1d8e77',
  type: 'ticket.created',
  source: 'ticket',
  aggregateType: 'ticket',
  aggregateId: 'f3b1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
  actorId: null,
  actorRole: null,
  correlationId: 'correlation-1',
  occurredAt: new Date('2025-01-01T12:00:00.000Z'),
  recordedAt: new Date('2025-01-01T12:00:00.250Z'),
  payload: {},
  personalDataErased: false,
  prevHash: '0'.repeat(64),
  hash: '1'.repeat(64),
});

describe('audit entry pagination', () => {
  it('round-trips a seq through an opaque cursor', () => {
    const cursor = encodeAuditCursor('9007199254740993');
    expect(cursor).not.toContain('9007199254740993');
    expect(decodeAuditCursor(cursor)).toBe('9007199254740993');
  });

  it.each([
    encodeAuditCursor('12').slice(0, -2),
    encodeCursor({ seq: '-1' }),
    encodeCursor({ seq: 12 }),
    encodeCursor(['2025-06-01T12:34:56.789Z', '0b6c2f7e-4f0a-4d5e-9a39-2f5b9c1d8e77']),
  ])('rejects %j as a cursor, naming the after argument', (cursor) => {
    expect(fieldOf(() => decodeAuditCursor(cursor))).toBe('after');
  });

  it('defaults to the first 20 entries from the start', () => {
    expect(pageRequest({})).toEqual({ first: DEFAULT_PAGE_SIZE, afterSeq: '0' });
    expect(pageRequest({ first: null, after: null })).toEqual({ first: 20, afterSeq: '0' });
  });

  it('accepts first = 0 and continues after the seq of a cursor', () => {
    expect(pageRequest({ first: 0, after: encodeAuditCursor('7') })).toEqual({
      first: 0,
      afterSeq: '7',
    });
  });

  it.each([101, -1, 1.5])('rejects first = %p', (first) => {
    expect(fieldOf(() => pageRequest({ first }))).toBe('first');
  });

  it('presents a page of entries with their seq as cursor', () => {
    const page = toAuditEntryConnection(['1', '2', '3'].map(anEntry), 2);
    expect(page.edges.map((edge) => edge.node.seq)).toEqual(['1', '2']);
    expect(page.edges[0].node.occurredAt).toBe('2025-01-01T12:00:00.000Z');
    expect(page.pageInfo).toEqual({ hasNextPage: true, endCursor: encodeAuditCursor('2') });
  });
});
