import { z } from 'zod';
import { decodeCursor, encodeCursor } from '@servicedesk/platform';

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

/** Versioned, so the position can change shape without misreading cursors handed out before. */
export function encodeTicketCursor(cursor: TicketCursor): string {
  return encodeCursor({ v: CURSOR_VERSION, c: cursor.createdAt.toISOString(), i: cursor.id });
}

/** Throws `BAD_USER_INPUT` on `after` for anything `encodeTicketCursor` did not produce. */
export function decodeTicketCursor(value: string): TicketCursor {
  const position = decodeCursor(value, cursorSchema);
  return { createdAt: new Date(position.c), id: position.i };
}
