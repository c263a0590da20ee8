import { Args, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { isUuid, requireIdentity } from '@servicedesk/platform';
import { ticketScopeOf } from './ticket-access';
import { TicketConnection, toTicketConnection, toPageQuery } from './ticket-connection';
import { TicketLoaders } from './ticket.loaders';
import type { TicketOwnership } from './ticket.repository';

/**
 * The ticket subgraph's fields on `User`. The same visibility applies as everywhere: a
 * customer asking about someone else gets only their own tickets among them, i.e. none.
 */
@Resolver('User')
export class UserTicketsResolver {
  constructor(private readonly loaders: TicketLoaders) {}

  @ResolveField('tickets')
  tickets(@Parent() user: { id: string }, @Args() args: unknown): Promise<TicketConnection> {
    return this.page('requester', user.id, args);
  }

  @ResolveField('assignedTickets')
  assignedTickets(
    @Parent() user: { id: string },
    @Args() args: unknown,
  ): Promise<TicketConnection> {
    return this.page('assignee', user.id, args);
  }

  private async page(
    ownership: TicketOwnership,
    ownerId: string,
    args: unknown,
  ): Promise<TicketConnection> {
    const identity = requireIdentity();
    const query = toPageQuery(args, ticketScopeOf(identity));
    if (!isUuid(ownerId)) return toTicketConnection([], query.limit);
    const rows = await this.loaders
      .forCurrentRequest()
      .ownedTickets.load({ ownership, ownerId, query });
    return toTicketConnection(rows, query.limit);
  }
}
