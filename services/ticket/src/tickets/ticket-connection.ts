import { Connection, toConnection, validateInput } from '@servicedesk/platform';
import { decodeTicketCursor, encodeTicketCursor } from './ticket-cursor';
import type { TicketScope } from './ticket-filter';
import type { Ticket } from './ticket.entity';
import { ticketListArgs } from './ticket.inputs';
import type { TicketPageQuery } from './ticket.repository';

export type TicketConnection = Connection<Ticket>;

/** Validates `(filter, first, after)` of a ticket list into a page query within `scope`. */
export function toPageQuery(args: unknown, scope: TicketScope): TicketPageQuery {
  const { filter, first, after } = validateInput(ticketListArgs, args);
  return {
    filter,
    scope,
    limit: first,
    ...(after != null ? { after: decodeTicketCursor(after) } : {}),
  };
}

/** A page of tickets from rows fetched with one extra row (see `toConnection`). */
export function toTicketConnection(rows: Ticket[], limit: number): TicketConnection {
  return toConnection(rows, limit, encodeTicketCursor);
}
