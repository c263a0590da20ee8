import { IdempotencyKeys } from '@servicedesk/platform';
import { TABLES } from '../database/tables';

/** Where createTicket and addComment remember their callers' idempotency keys. */
export const TICKET_KEYS = new IdempotencyKeys({
  table: TABLES.ticketIdempotencyKeys,
  resultColumn: 'ticket_id',
  result: 'ticket',
});

export const COMMENT_KEYS = new IdempotencyKeys({
  table: TABLES.commentIdempotencyKeys,
  resultColumn: 'comment_id',
  result: 'comment',
});
