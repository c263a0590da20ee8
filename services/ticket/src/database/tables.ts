/** The service's own PostgreSQL schema; nothing here reads or writes another one. */
export const TICKET_SCHEMA = 'ticket';

/** Qualified table names for hand-written SQL (the connection's search_path is not relied on). */
export const TABLES = {
  tickets: `${TICKET_SCHEMA}.tickets`,
  comments: `${TICKET_SCHEMA}.comments`,
  knownUsers: `${TICKET_SCHEMA}.known_users`,
  ticketIdempotencyKeys: `${TICKET_SCHEMA}.ticket_idempotency_keys`,
  commentIdempotencyKeys: `${TICKET_SCHEMA}.comment_idempotency_keys`,
} as const;
