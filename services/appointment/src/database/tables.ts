/** The service's own PostgreSQL schema; nothing here reads or writes another one. */
export const APPOINTMENT_SCHEMA = 'appointment';

/** Qualified table names for hand-written SQL (the connection's search_path is not relied on). */
export const TABLES = {
  appointments: `${APPOINTMENT_SCHEMA}.appointments`,
  availability: `${APPOINTMENT_SCHEMA}.availability`,
  timeOff: `${APPOINTMENT_SCHEMA}.time_off`,
  reminders: `${APPOINTMENT_SCHEMA}.reminders`,
  bookingRequests: `${APPOINTMENT_SCHEMA}.booking_requests`,
  knownUsers: `${APPOINTMENT_SCHEMA}.known_users`,
  knownTickets: `${APPOINTMENT_SCHEMA}.known_tickets`,
} as const;
