import {
  Args,
  Mutation,
  Parent,
  Query,
  ResolveField,
  Resolver,
  ResolveReference,
} from '@nestjs/graphql';
import {
  NotFoundError,
  isUuid,
  requireIdentity,
  requireRole,
  validateInput,
} from '@servicedesk/platform';
import type { Comment } from './comment.entity';
import { ticketScopeOf } from './ticket-access';
import { TicketConnection, toTicketConnection, toPageQuery } from './ticket-connection';
import { Ticket, isSlaBreached } from './ticket.entity';
import {
  addCommentArgs,
  assignTicketArgs,
  changeTicketStatusArgs,
  createTicketArgs,
  ticketArgs,
} from './ticket.inputs';
import { TicketLoaders } from './ticket.loaders';
import { TicketRepository } from './ticket.repository';
import { TicketService } from './ticket.service';
import { UserReference, userReference } from './user-reference';

@Resolver('Ticket')
export class TicketResolver {
  constructor(
    private readonly service: TicketService,
    private readonly repository: TicketRepository,
    private readonly loaders: TicketLoaders,
  ) {}

  @Query('ticket')
  async ticket(@Args() args: unknown): Promise<Ticket> {
    requireIdentity();
    const { id } = validateInput(ticketArgs, args);
    const ticket = await this.loaders.forCurrentRequest().ticket.load(id);
    if (!ticket) throw new NotFoundError('Ticket', id);
    return ticket;
  }

  @Query('tickets')
  async tickets(@Args() args: unknown): Promise<TicketConnection> {
    const identity = requireIdentity();
    const query = toPageQuery(args, ticketScopeOf(identity));
    return toTicketConnection(await this.repository.findPage(query), query.limit);
  }

  /** Federation entry point: null (not an error) for a ticket the caller may not see. */
  @ResolveReference()
  async resolveReference(reference: { id: string }): Promise<Ticket | null> {
    requireIdentity();
    if (!isUuid(reference.id)) return null;
    return this.loaders.forCurrentRequest().ticket.load(reference.id);
  }

  @Mutation('createTicket')
  async createTicket(@Args() args: unknown): Promise<Ticket> {
    const identity = requireRole('CUSTOMER');
    return this.service.create(identity, validateInput(createTicketArgs, args));
  }

  @Mutation('assignTicket')
  async assignTicket(@Args() args: unknown): Promise<Ticket> {
    const identity = requireRole('AGENT', 'ADMIN');
    const { ticketId, assigneeId } = validateInput(assignTicketArgs, args);
    return this.service.assign(identity, ticketId, assigneeId);
  }

  @Mutation('changeTicketStatus')
  async changeTicketStatus(@Args() args: unknown): Promise<Ticket> {
    const identity = requireIdentity();
    return this.service.changeStatus(identity, validateInput(changeTicketStatusArgs, args));
  }

  @Mutation('addComment')
  async addComment(@Args() args: unknown): Promise<Comment> {
    const identity = requireIdentity();
    return this.service.addComment(identity, validateInput(addCommentArgs, args));
  }

  @ResolveField('requester')
  requester(@Parent() ticket: Ticket): UserReference {
    return userReference(ticket.requesterId);
  }

  @ResolveField('assignee')
  assignee(@Parent() ticket: Ticket): UserReference | null {
    return ticket.assigneeId ? userReference(ticket.assigneeId) : null;
  }

  @ResolveField('comments')
  comments(@Parent() ticket: Ticket): Promise<Comment[]> {
    return this.loaders.forCurrentRequest().comments.load(ticket.id);
  }

  @ResolveField('slaBreached')
  slaBreached(@Parent() ticket: Ticket): boolean {
    return isSlaBreached(ticket);
  }
}

@Resolver('Comment')
export class CommentResolver {
  @ResolveField('author')
  author(@Parent() comment: Comment): UserReference {
    return userReference(comment.authorId);
  }
}
