import { decodeKeysetCursor, encodeKeysetCursor } from '@servicedesk/platform';

const LIST = 'notifications';

/** A position in a notification list ordered newest first: the (createdAt, id) of the last one seen. */
export interface NotificationCursor {
  createdAt: Date;
  id: string;
}

export function encodeNotificationCursor(cursor: NotificationCursor): string {
  return encodeKeysetCursor(LIST, { at: cursor.createdAt, id: cursor.id });
}

/** Throws `BAD_USER_INPUT` on `after` for anything `encodeNotificationCursor` did not produce. */
export function decodeNotificationCursor(value: string): NotificationCursor {
  const { at, id } = decodeKeysetCursor(LIST, value);
  return { createdAt: at, id };
}
