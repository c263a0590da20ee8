import { validateInput } from '@servicedesk/platform';
import { decodeTicketCursor, encodeTicketCursor } from './ticket-cursor';
import type { TicketScope } from './ticket-filter';
import type { Ticket } from './ticket.entity';
import { ticketListArgs } from './ticket.inputs';
import type { TicketPageQuery } from './ticket.repository';

export interface TicketConnection {
  edges: Array<{ cursor: string; node: Ticket }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Validates `(filter, first, after)` of a ticket list into a page query within `scope`. */
export function toPageQuery(args: unknown, scope: TicketScope): TicketPageQuery {
  const { filter, first, after } = validateInput(ticketListArgs, args);
  return {
    filter,
    scope,
    limit: first,
    ...(after != null ? { after: decodeTicketCursor(after, 'after') } : {}),
  };
}

/** A page from rows fetched with one extra row, whose presence means there is a next page. */
export function toConnection(rows: Ticket[], limit: number): TicketConnection {
  const edges = rows.slice(0, limit).map((node) => ({ cursor: encodeTicketCursor(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > limit,
      endCursor: edges.length ? edges[edges.length - 1].cursor : null,
    },
  };
}
