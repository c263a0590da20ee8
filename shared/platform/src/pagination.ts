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
 * A keyset position: the instant a list is ordered by and the id that breaks ties, of the
 * last node of a page. Lists continue strictly after it, so rows added meanwhile never shift
 * a page. Each cursor names its list, so one list's cursor is refused by another; versioned,
 * so the position can change shape without misreading cursors handed out before.
 */
export interface KeysetPosition {
  at: Date;
  id: string;
}

const KEYSET_CURSOR_VERSION = 2;

const keysetCursorSchema = (list: string) =>
  z.object({
    v: z.literal(KEYSET_CURSOR_VERSION),
    l: z.literal(list),
    c: z.iso.datetime({ offset: true }),
    i: z.uuid(),
  });

/** The cursor of `position` in the list called `list` (e.g. "tickets"). */
export function encodeKeysetCursor(list: string, { at, id }: KeysetPosition): string {
  return encodeCursor({ v: KEYSET_CURSOR_VERSION, l: list, c: at.toISOString(), i: id });
}

/** Throws `BAD_USER_INPUT` on `after` for anything `encodeKeysetCursor(list, …)` did not produce. */
export function decodeKeysetCursor(list: string, cursor: string): KeysetPosition {
  const position = decodeCursor(cursor, keysetCursorSchema(list));
  return { at: new Date(position.c), id: position.i };
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
