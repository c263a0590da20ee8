import { z } from 'zod';
import { BadUserInputError } from './errors';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** A Relay connection: one page of nodes, each with the cursor that continues after it. */
export interface Connection<N> {
  edges: Array<{ cursor: string; node: N }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/**
 * The `first` argument of a list, for the list's argument schema: absent or null means
 * `DEFAULT_PAGE_SIZE`, above `MAX_PAGE_SIZE` is refused. `min: 0` lets a client ask for
 * `pageInfo` alone; lists that never allowed it keep `min: 1`.
 */
export function pageSizeSchema(options: { min: 0 | 1 }) {
  return z
    .number()
    .int()
    .min(options.min, options.min === 0 ? 'must not be negative' : 'must be at least 1')
    .max(MAX_PAGE_SIZE, `must be at most ${MAX_PAGE_SIZE}`)
    .nullish()
    .transform((first) => first ?? DEFAULT_PAGE_SIZE);
}

/**
 * Opaque to clients: base64url of the JSON of `position`, the ordering key of the last node
 * of a page (each list decides what that is and validates it in `decodeCursor`).
 */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/**
 * The position in a cursor `encodeCursor` produced, checked by the list's `schema`.
 * Anything else is BAD_USER_INPUT on `field`, the argument that carried it.
 */
export function decodeCursor<S extends z.ZodType>(
  cursor: string,
  schema: S,
  field = 'after',
): z.output<S> {
  const invalid = () => new BadUserInputError(field, `${field}: is not a cursor of this list`);
  let position: unknown;
  try {
    position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const parsed = schema.safeParse(position);
  if (!parsed.success) throw invalid();
  return parsed.data;
}

/**
 * A page from rows fetched with one more than `first`: the extra row only tells that there
 * is a next page.
 */
export function toConnection<N>(
  rows: readonly N[],
  first: number,
  cursorOf: (node: N) => string,
): Connection<N> {
  const edges = rows.slice(0, first).map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > first,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
