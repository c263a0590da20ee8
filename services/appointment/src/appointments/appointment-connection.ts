import { Connection, toConnection } from '@servicedesk/platform';
import type { AppointmentScope } from './appointment-access';
import { decodeAppointmentCursor, encodeAppointmentCursor } from './appointment-cursor';
import type { AppointmentFilter } from './appointment-filter';
import type { Appointment } from './appointment.model';
import type { AppointmentPageQuery } from './appointment.repository';

export type AppointmentConnection = Connection<Appointment>;

/** A page query from validated `(filter, first, after)` within `scope`. */
export function toPageQuery(
  { filter, first, after }: { filter: AppointmentFilter; first: number; after?: string | null },
  scope: AppointmentScope,
): AppointmentPageQuery {
  return {
    filter,
    scope,
    limit: first,
    ...(after != null ? { after: decodeAppointmentCursor(after) } : {}),
  };
}

/** A page of appointments from rows fetched with one extra row (see `toConnection`). */
export function toAppointmentConnection(rows: Appointment[], limit: number): AppointmentConnection {
  return toConnection(rows, limit, encodeAppointmentCursor);
}
