import { z } from 'zod';
import { decodeCursor, encodeCursor } from '@servicedesk/platform';

/** A position in a notification list ordered newest first: the (createdAt, id) of the last one seen. */
export interface NotificationCursor {
  createdAt: Date;
  id: string;
}

const CURSOR_VERSION = 1;

const cursorSchema = z.object({
  v: z.literal(CURSOR_VERSION),
  c: z.iso.datetime({ offset: true }),
  i: z.uuid(),
});

export function encodeNotificationCursor(cursor: NotificationCursor): string {
  return encodeCursor({ v: CURSOR_VERSION, c: cursor.createdAt.toISOString(), i: cursor.id });
}

/** Throws `BAD_USER_INPUT` on `after` for anything `encodeNotificationCursor` did not produce. */
export function decodeNotificationCursor(value: string): NotificationCursor {
  const position = decodeCursor(value, cursorSchema);
  return { createdAt: new Date(position.c), id: position.i };
}
