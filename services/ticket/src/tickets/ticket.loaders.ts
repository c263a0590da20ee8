import { Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import { Identity, PerRequest } from '@servicedesk/platform';
import type { Comment } from './comment.entity';
import { canSeeInternalComments, ticketScopeOf } from './ticket-access';
import type { Ticket } from './ticket.entity';
import { TicketOwnership, TicketPageQuery, TicketRepository } from './ticket.repository';

/** A page of the tickets one user requested or is assigned. */
export interface OwnedTicketsKey {
  ownership: TicketOwnership;
  ownerId: string;
  query: TicketPageQuery;
}

/** The batching loaders of one request, seeing what that request's identity may see. */
export interface TicketRequestLoaders {
  /** A ticket by id, or null if it does not exist or is not visible to the caller. */
  ticket: DataLoader<string, Ticket | null>;
  /** Comments of a ticket the caller may read, oldest first. */
  comments: DataLoader<string, Comment[]>;
  /** One page (limit + 1 rows) of tickets per owner. */
  ownedTickets: DataLoader<OwnedTicketsKey, Ticket[], string>;
}

const pageKey = ({ ownership, query }: OwnedTicketsKey) => `${ownership}:${JSON.stringify(query)}`;

/**
 * Hands out loaders per request so that every ticket, comment list and owned-ticket page a
 * GraphQL operation needs is fetched in one statement per kind, whatever path (queries,
 * `_entities`, `User.tickets`) asks for it. Loaders are keyed on the request context the
 * platform opens for each request, so they work under any GraphQL context and die with it.
 */
@Injectable()
export class TicketLoaders {
  private readonly perRequest = new PerRequest<TicketRequestLoaders>((identity) =>
    this.create(identity),
  );

  constructor(private readonly repository: TicketRepository) {}

  forCurrentRequest(): TicketRequestLoaders {
    return this.perRequest.current();
  }

  private create(identity: Identity): TicketRequestLoaders {
    const scope = ticketScopeOf(identity);
    const includeInternal = canSeeInternalComments(identity);
    return {
      ticket: new DataLoader(async (ids) => {
        const found = new Map(
          (await this.repository.findTickets(ids, scope)).map((t) => [t.id, t]),
        );
        return ids.map((id) => found.get(id) ?? null);
      }),
      comments: new DataLoader(async (ticketIds) => {
        const byTicket = new Map<string, Comment[]>(ticketIds.map((id) => [id, []]));
        for (const comment of await this.repository.findComments(ticketIds, includeInternal)) {
          byTicket.get(comment.ticketId)?.push(comment);
        }
        return ticketIds.map((id) => byTicket.get(id) ?? []);
      }),
      ownedTickets: new DataLoader(
        async (keys) => {
          const groups = new Map<string, OwnedTicketsKey[]>();
          for (const key of keys)
            groups.set(pageKey(key), [...(groups.get(pageKey(key)) ?? []), key]);
          const pages = new Map<string, Ticket[]>();
          for (const [group, members] of groups) {
            const { ownership, query } = members[0];
            const ownerIds = [...new Set(members.map((m) => m.ownerId))];
            const byOwner = await this.repository.findPagesByOwner(ownership, ownerIds, query);
            for (const [ownerId, rows] of byOwner) pages.set(`${group}:${ownerId}`, rows);
          }
          return keys.map((key) => pages.get(`${pageKey(key)}:${key.ownerId}`) ?? []);
        },
        { cacheKeyFn: (key) => `${pageKey(key)}:${key.ownerId}` },
      ),
    };
  }
}
