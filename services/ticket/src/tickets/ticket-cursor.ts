import { z } from 'zod';
import { BadUserInputError } from '@servicedesk/platform';

/**
 * A position in a ticket list ordered newest first: the (createdAt, id) of the last
 * ticket seen. Lists continue strictly after it, so tickets opened meanwhile never
 * shift a page.
 */
export interface TicketCursor {
  createdAt: Date;
  id: string;
}

const CURSOR_VERSION = 1;

const cursorSchema = z.object({
  v: z.literal(CURSOR_VERSION),
  c: z.iso.datetime({ offset: true }),
  i: z.uuid(),
});

/** Opaque to clients: base64url of a small versioned JSON document. */
export function encodeTicketCursor(cursor: TicketCursor): string {
  const document = { v: CURSOR_VERSION, c: cursor.createdAt.toISOString(), i: cursor.id };
  return Buffer.from(JSON.stringify(document), 'utf8').toString('base64url');
}

/** Throws `BAD_USER_INPUT` on `field` for anything `encodeTicketCursor` did not produce. */
export function decodeTicketCursor(value: string, field = 'after'): TicketCursor {
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw new BadUserInputError(field, 'is not a valid cursor');
  }
  const parsed = cursorSchema.safeParse(document);
  if (!parsed.success) throw new BadUserInputError(field, 'is not a valid cursor');
  return { createdAt: new Date(parsed.data.c), id: parsed.data.i };
}
