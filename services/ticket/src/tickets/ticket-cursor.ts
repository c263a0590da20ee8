import { decodeKeysetCursor, encodeKeysetCursor } from '@servicedesk/platform';

const LIST = 'tickets';

/** A position in a ticket list ordered newest first: the (createdAt, id) of the last ticket seen. */
export interface TicketCursor {
  createdAt: Date;
  id: string;
}

export function encodeTicketCursor(cursor: TicketCursor): string {
  return encodeKeysetCursor(LIST, { at: cursor.createdAt, id: cursor.id });
}

/** Throws `BAD_USER_INPUT` on `after` for anything `encodeTicketCursor` did not produce. */
export function decodeTicketCursor(value: string): TicketCursor {
  const { at, id } = decodeKeysetCursor(LIST, value);
  return { createdAt: at, id };
}
