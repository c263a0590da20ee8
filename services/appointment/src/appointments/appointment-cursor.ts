import { z } from 'zod';
import { decodeCursor, encodeCursor } from '@servicedesk/platform';

/**
 * A position in an appointment list ordered by start, earliest first: the (startsAt, id) of
 * the last appointment seen. Lists continue strictly after it.
 */
export interface AppointmentCursor {
  startsAt: Date;
  id: string;
}

const CURSOR_VERSION = 1;

const cursorSchema = z.object({
  v: z.literal(CURSOR_VERSION),
  s: z.iso.datetime({ offset: true }),
  i: z.uuid(),
});

/** Versioned, so the position can change shape without misreading cursors handed out before. */
export function encodeAppointmentCursor(cursor: AppointmentCursor): string {
  return encodeCursor({ v: CURSOR_VERSION, s: cursor.startsAt.toISOString(), i: cursor.id });
}

/** Throws `BAD_USER_INPUT` on `after` for anything `encodeAppointmentCursor` did not produce. */
export function decodeAppointmentCursor(value: string): AppointmentCursor {
  const position = decodeCursor(value, cursorSchema);
  return { startsAt: new Date(position.s), id: position.i };
}
