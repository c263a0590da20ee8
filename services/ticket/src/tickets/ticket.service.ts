import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import {
  BadUserInputError,
  ConflictError,
  ForbiddenError,
  IdempotencyKeys,
  Identity,
  NotFoundError,
  requestFingerprint,
} from '@servicedesk/platform';
import { Tx, UnitOfWork } from '@servicedesk/messaging';
import { UserDirectory } from '../directory/user-directory.service';
import { SlaBreaches } from '../sla/sla-breaches.service';
import { SlaPolicy, slaDueDates } from '../sla/sla-policy';
import { Comment } from './comment.entity';
import { canSeeTicket, isSupportStaff } from './ticket-access';
import { COMMENT_KEYS, TICKET_KEYS } from './ticket-idempotency-keys';
import {
  assertTransition,
  isDone,
  isFinal,
  mayChangeStatus,
  reachesResolution,
} from './ticket-status';
import { Ticket } from './ticket.entity';
import { TicketMetrics } from './ticket-metrics';
import { AddCommentArgs, ChangeTicketStatusArgs, CreateTicketArgs } from './ticket.inputs';
import { TicketRepository } from './ticket.repository';

export const SLA_POLICY = Symbol('ticket.sla-policy');

/**
 * The ticket commands. Each runs in one transaction that changes the ticket and emits its
 * event, so a change and its event exist together or not at all. Arguments arrive
 * validated; authorization by role is the resolver's, rules that need the ticket are here.
 */
@Injectable()
export class TicketService {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly tickets: TicketRepository,
    private readonly directory: UserDirectory,
    private readonly breaches: SlaBreaches,
    @Inject(SLA_POLICY) private readonly slaPolicy: SlaPolicy,
    private readonly metrics: TicketMetrics,
  ) {}

  async create(requester: Identity, { input, idempotencyKey }: CreateTicketArgs): Promise<Ticket> {
    return this.unitOfWork.run(async (tx) => {
      await this.refuseErased(tx.manager, requester);
      const now = new Date();
      const id = randomUUID();
      const earlier = await this.claimKey(tx.manager, TICKET_KEYS, requester, idempotencyKey, {
        fields: [input.title, input.description, input.priority, input.tags],
        resultId: id,
      });
      if (earlier) return this.reload(tx, earlier);
      const ticket: Ticket = {
        id,
        title: input.title,
        description: input.description,
        status: 'OPEN',
        priority: input.priority,
        requesterId: requester.userId,
        assigneeId: null,
        tags: input.tags,
        ...slaDueDates(this.slaPolicy, input.priority, now),
        firstRespondedAt: null,
        firstResponseBreachedAt: null,
        resolutionBreachedAt: null,
        requesterErasedAt: null,
        version: 1,
        createdAt: now,
        updatedAt: now,
      };
      await this.tickets.insertTicket(tx.manager, ticket);
      await tx.emit({
        type: 'ticket.created',
        aggregateId: ticket.id,
        payload: {
          ticketId: ticket.id,
          requesterId: ticket.requesterId,
          title: ticket.title,
          priority: ticket.priority,
          status: ticket.status,
          tags: ticket.tags,
          firstResponseDueAt: ticket.firstResponseDueAt.toISOString(),
          resolutionDueAt: ticket.resolutionDueAt.toISOString(),
        },
      });
      return ticket;
    });
  }

  /** Reassigning to the current assignee changes nothing and emits nothing. */
  async assign(actor: Identity, ticketId: string, assigneeId: string): Promise<Ticket> {
    return this.unitOfWork.run(async (tx) => {
      const ticket = await this.lockVisible(tx.manager, actor, ticketId);
      this.assertOpenForChanges(ticket);
      if (!(await this.directory.isAgent(tx.manager, assigneeId))) {
        throw new BadUserInputError('assigneeId', 'is not a known agent');
      }
      if (ticket.assigneeId === assigneeId) return ticket;
      const assigned = await this.tickets.changeAssignee(
        tx.manager,
        ticketId,
        assigneeId,
        new Date(),
      );
      await tx.emit({
        type: 'ticket.assigned',
        aggregateId: ticketId,
        payload: {
          ticketId,
          requesterId: assigned.requesterId,
          assigneeId,
          previousAssigneeId: ticket.assigneeId,
        },
      });
      return assigned;
    });
  }

  /**
   * Checks, in order: the ticket is visible (NOT_FOUND), the caller saw its latest version
   * (CONFLICT), the life cycle allows the move (BAD_USER_INPUT), the caller's role may make
   * it (FORBIDDEN). The update itself re-checks the version, so a concurrent change that
   * lands in between still yields CONFLICT rather than a lost update.
   */
  async changeStatus(
    actor: Identity,
    { ticketId, status, expectedVersion }: ChangeTicketStatusArgs,
  ): Promise<Ticket> {
    // Counted once committed, so a rolled-back change is not.
    let resolved = false;
    const result = await this.unitOfWork.run(async (tx) => {
      const ticket = await this.tickets.findTicket(tx.manager, ticketId);
      if (!ticket || !canSeeTicket(actor, ticket)) throw new NotFoundError('Ticket', ticketId);
      if (ticket.version !== expectedVersion) throw this.staleVersion(ticket.id, expectedVersion);
      assertTransition(ticket.status, status);
      if (!mayChangeStatus(actor.role, ticket.status, status)) {
        throw new ForbiddenError('Customers may only close or reopen a resolved ticket');
      }
      const now = new Date();
      let changed = await this.tickets.changeStatusIfVersion(
        tx.manager,
        ticketId,
        expectedVersion,
        status,
        now,
      );
      if (!changed) throw this.staleVersion(ticketId, expectedVersion);
      await tx.emit({
        type: 'ticket.status_changed',
        aggregateId: ticketId,
        payload: {
          ticketId,
          requesterId: changed.requesterId,
          assigneeId: changed.assigneeId,
          from: ticket.status,
          to: status,
          version: changed.version,
        },
      });
      resolved = reachesResolution(ticket.status, status);
      if (resolved && (await this.breaches.recordIfLate(tx, ticketId, 'RESOLUTION', now))) {
        changed = await this.reload(tx, ticketId);
      }
      return changed;
    });
    if (resolved) this.metrics.ticketResolved();
    return result;
  }

  /**
   * A repeat under the same key returns the comment even if the ticket has been closed since:
   * the first request did comment.
   */
  async addComment(
    author: Identity,
    { ticketId, body, internal, idempotencyKey }: AddCommentArgs,
  ): Promise<Comment> {
    return this.unitOfWork.run(async (tx) => {
      await this.refuseErased(tx.manager, author);
      const id = randomUUID();
      const earlier = await this.claimKey(tx.manager, COMMENT_KEYS, author, idempotencyKey, {
        fields: [ticketId, body, internal],
        resultId: id,
      });
      if (earlier) return this.reloadComment(tx, earlier);
      const ticket = await this.lockVisible(tx.manager, author, ticketId);
      if (internal && !isSupportStaff(author.role)) {
        throw new ForbiddenError('Only agents and admins may write internal comments');
      }
      this.assertOpenForChanges(ticket);
      const now = new Date();
      const comment: Comment = {
        id,
        ticketId,
        authorId: author.userId,
        body,
        internal,
        authorErasedAt: null,
        createdAt: now,
      };
      await this.tickets.insertComment(tx.manager, comment);
      const isFirstResponse =
        !internal && isSupportStaff(author.role) && ticket.firstRespondedAt === null;
      const commented = await this.tickets.recordComment(
        tx.manager,
        ticketId,
        now,
        isFirstResponse,
      );
      await tx.emit({
        type: 'ticket.commented',
        aggregateId: ticketId,
        payload: {
          ticketId,
          requesterId: commented.requesterId,
          assigneeId: commented.assigneeId,
          commentId: comment.id,
          authorId: comment.authorId,
          internal,
        },
      });
      if (isFirstResponse && !isDone(ticket.status)) {
        await this.breaches.recordIfLate(tx, ticketId, 'FIRST_RESPONSE', now);
      }
      return comment;
    });
  }

  /**
   * Claims the caller's `key` (if given) for the result about to be written, in this
   * transaction: the id an identical earlier request made, or undefined to go on writing.
   */
  private async claimKey(
    manager: EntityManager,
    keys: IdempotencyKeys,
    caller: Identity,
    key: string | undefined,
    request: { fields: unknown[]; resultId: string },
  ): Promise<string | undefined> {
    if (key === undefined) return undefined;
    const fingerprint = requestFingerprint(request.fields);
    return keys.claim(
      manager,
      { callerId: caller.userId, key, fingerprint },
      request.resultId,
      new Date(),
    );
  }

  /**
   * An erased person's access token stays valid until it expires: what they would write
   * with it is refused, so no personal data of theirs arrives after the erasure (and an
   * erasure arriving meanwhile waits for this transaction, then redacts what it wrote).
   */
  private async refuseErased(manager: EntityManager, caller: Identity): Promise<void> {
    if (await this.directory.isErasedHoldingOffErasure(manager, caller.userId)) {
      throw new ForbiddenError('This account has been erased');
    }
  }

  /** The ticket, locked for the rest of the transaction, if the caller may see it. */
  private async lockVisible(
    manager: EntityManager,
    actor: Identity,
    ticketId: string,
  ): Promise<Ticket> {
    const ticket = await this.tickets.lockTicket(manager, ticketId);
    if (!ticket || !canSeeTicket(actor, ticket)) throw new NotFoundError('Ticket', ticketId);
    return ticket;
  }

  private assertOpenForChanges(ticket: Ticket): void {
    if (isFinal(ticket.status)) {
      throw new BadUserInputError(
        'ticketId',
        `ticket ${ticket.id} is ${ticket.status} and can no longer change`,
      );
    }
  }

  private staleVersion(ticketId: string, expectedVersion: number): ConflictError {
    return new ConflictError(
      `Ticket ${ticketId} is no longer at version ${expectedVersion}: it changed meanwhile; reload it and try again`,
    );
  }

  private async reload(tx: Tx, ticketId: string): Promise<Ticket> {
    const ticket = await this.tickets.findTicket(tx.manager, ticketId);
    if (!ticket) throw new NotFoundError('Ticket', ticketId);
    return ticket;
  }

  private async reloadComment(tx: Tx, commentId: string): Promise<Comment> {
    const comment = await this.tickets.findComment(tx.manager, commentId);
    if (!comment) throw new NotFoundError('Comment', commentId);
    return comment;
  }
}
