import { z } from 'zod';
import { BadUserInputError, validateInput } from '@servicedesk/platform';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

const CURSOR_PREFIX = 'audit:';

/** Opaque to clients: the seq of the entry, which is also the order of every list. */
export function encodeCursor(seq: string): string {
  return Buffer.from(`${CURSOR_PREFIX}${seq}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const seq = decoded.startsWith(CURSOR_PREFIX) ? decoded.slice(CURSOR_PREFIX.length) : '';
  if (!/^\d{1,19}$/.test(seq) || encodeCursor(seq) !== cursor) {
    throw new BadUserInputError('after', 'after is not a cursor returned by this list');
  }
  return seq;
}

/** A validated page request: at most `first` entries with a seq greater than `afterSeq`. */
export interface PageRequest {
  first: number;
  afterSeq: string;
}

const pageArgsSchema = z.object({
  first: z
    .number()
    .int()
    .min(0, { message: 'first must not be negative' })
    .max(MAX_PAGE_SIZE, { message: `first must be at most ${MAX_PAGE_SIZE}` })
    .nullish(),
  after: z.string().nullish(),
});

export function pageRequest(args: { first?: number | null; after?: string | null }): PageRequest {
  const { first, after } = validateInput(pageArgsSchema, args);
  return { first: first ?? DEFAULT_PAGE_SIZE, afterSeq: after ? decodeCursor(after) : '0' };
}

export interface Connection<N> {
  edges: Array<{ cursor: string; node: N }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/**
 * Builds a connection from up to `first + 1` items in seq order: the extra one only tells
 * that there is a next page.
 */
export function toConnection<T extends { seq: string }, N>(
  items: readonly T[],
  first: number,
  present: (item: T) => N,
): Connection<N> {
  const page = items.slice(0, first);
  const edges = page.map((item) => ({ cursor: encodeCursor(item.seq), node: present(item) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: items.length > first,
      endCursor: edges.length > 0 ? edges[edges.length - 1].cursor : null,
    },
  };
}
