import { decodeKeysetCursor, encodeKeysetCursor } from '@servicedesk/platform';

const LIST = 'appointments';

/** A position in an appointment list ordered by start, earliest first: the (startsAt, id) of the last appointment seen. */
export interface AppointmentCursor {
  startsAt: Date;
  id: string;
}

export function encodeAppointmentCursor(cursor: AppointmentCursor): string {
  return encodeKeysetCursor(LIST, { at: cursor.startsAt, id: cursor.id });
}

/** Throws `BAD_USER_INPUT` on `after` for anything `encodeAppointmentCursor` did not produce. */
export function decodeAppointmentCursor(value: string): AppointmentCursor {
  const { at, id } = decodeKeysetCursor(LIST, value);
  return { startsAt: at, id };
}
