/** The service's own PostgreSQL schema; nothing here reads or writes another one. */
export const NOTIFICATION_SCHEMA = 'notification';

/** Qualified table names for hand-written SQL (the connection's search_path is not relied on). */
export const TABLES = {
  notifications: `${NOTIFICATION_SCHEMA}.notifications`,
  preferences: `${NOTIFICATION_SCHEMA}.preferences`,
  recipients: `${NOTIFICATION_SCHEMA}.recipients`,
  tickets: `${NOTIFICATION_SCHEMA}.tickets`,
} as const;
