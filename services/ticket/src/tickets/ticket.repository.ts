import { SqlParameters, queryRows } from '@servicedesk/platform';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { TABLES } from '../database/tables';
import { Comment, CommentEntity, commentColumns } from './comment.entity';
import type { TicketCursor } from './ticket-cursor';
import {
  TicketFilter,
  TicketScope,
  afterCursorCondition,
  ticketConditions,
  ticketOrder,
  whereClause,
} from './ticket-filter';
import { Ticket, TicketEntity, ticketColumns } from './ticket.entity';
import type { TicketStatus } from './ticket-status';

/** One page request: rows strictly after `after`, at most `limit` of them. */
export interface TicketPageQuery {
  filter: TicketFilter;
  scope: TicketScope;
  after?: TicketCursor;
  limit: number;
}

/** Who a ticket list belongs to, for `User.tickets` and `User.assignedTickets`. */
export type TicketOwnership = 'requester' | 'assignee';

const OWNER_COLUMN: Record<TicketOwnership, string> = {
  requester: 'requester_id',
  assignee: 'assignee_id',
};

/** Every statement on tickets and comments. Writes take the transaction's manager. */
@Injectable()
export class TicketRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insertTicket(manager: EntityManager, ticket: Ticket): Promise<void> {
    await manager.insert(TicketEntity, ticket);
  }

  async insertComment(manager: EntityManager, comment: Comment): Promise<void> {
    await manager.insert(CommentEntity, comment);
  }

  /** The ticket, locked until the transaction ends: commands on one ticket run one at a time. */
  async lockTicket(manager: EntityManager, id: string): Promise<Ticket | undefined> {
    const [ticket] = await queryRows<Ticket>(
      manager,
      `SELECT ${ticketColumns('t')} FROM ${TABLES.tickets} t WHERE t.id = $1 FOR UPDATE`,
      [id],
    );
    return ticket;
  }

  async findTicket(manager: EntityManager, id: string): Promise<Ticket | undefined> {
    const [ticket] = await queryRows<Ticket>(
      manager,
      `SELECT ${ticketColumns('t')} FROM ${TABLES.tickets} t WHERE t.id = $1`,
      [id],
    );
    return ticket;
  }

  async findComment(manager: EntityManager, id: string): Promise<Comment | undefined> {
    const [comment] = await queryRows<Comment>(
      manager,
      `SELECT ${commentColumns('c')} FROM ${TABLES.comments} c WHERE c.id = $1`,
      [id],
    );
    return comment;
  }

  /** The tickets among `ids` that `scope` lets the caller see, in no particular order. */
  async findTickets(ids: readonly string[], scope: TicketScope): Promise<Ticket[]> {
    const params = new SqlParameters();
    const conditions = [
      `t.id = ANY(${params.add(ids, 'uuid[]')})`,
      ...ticketConditions({}, scope, params),
    ];
    return queryRows<Ticket>(
      this.dataSource.manager,
      `SELECT ${ticketColumns('t')} FROM ${TABLES.tickets} t ${whereClause(conditions)}`,
      params.values,
    );
  }

  /** One page, newest first, with one row more than asked when there is a next page. */
  async findPage(query: TicketPageQuery): Promise<Ticket[]> {
    const params = new SqlParameters();
    const conditions = ticketConditions(query.filter, query.scope, params);
    if (query.after) conditions.push(afterCursorCondition(query.after, params));
    return queryRows<Ticket>(
      this.dataSource.manager,
      `SELECT ${ticketColumns('t')} FROM ${TABLES.tickets} t ${whereClause(conditions)}
       ORDER BY ${ticketOrder('t')} LIMIT ${params.add(query.limit + 1, 'int')}`,
      params.values,
    );
  }

  /**
   * The same page for several owners in one statement: a LATERAL subquery per owner walks
   * the owner's index and stops after `limit + 1` rows.
   */
  async findPagesByOwner(
    ownership: TicketOwnership,
    ownerIds: readonly string[],
    query: TicketPageQuery,
  ): Promise<Map<string, Ticket[]>> {
    const params = new SqlParameters();
    const owners = params.add(ownerIds, 'uuid[]');
    const conditions = [
      `t.${OWNER_COLUMN[ownership]} = o.owner_id`,
      ...ticketConditions(query.filter, query.scope, params),
    ];
    if (query.after) conditions.push(afterCursorCondition(query.after, params));
    const rows = await queryRows<Ticket & { ownerId: string }>(
      this.dataSource.manager,
      `SELECT o.owner_id AS "ownerId", page.*
       FROM unnest(${owners}) AS o(owner_id)
       CROSS JOIN LATERAL (
         SELECT ${ticketColumns('t')} FROM ${TABLES.tickets} t ${whereClause(conditions)}
         ORDER BY ${ticketOrder('t')} LIMIT ${params.add(query.limit + 1, 'int')}
       ) page
       ORDER BY o.owner_id, page."createdAt" DESC, page.id DESC`,
      params.values,
    );
    const pages = new Map<string, Ticket[]>(ownerIds.map((id) => [id, []]));
    for (const { ownerId, ...ticket } of rows) pages.get(ownerId)?.push(ticket);
    return pages;
  }

  /** Comments of several tickets, oldest first per ticket; internal ones only if asked. */
  async findComments(ticketIds: readonly string[], includeInternal: boolean): Promise<Comment[]> {
    const params = new SqlParameters();
    const conditions = [`c.ticket_id = ANY(${params.add(ticketIds, 'uuid[]')})`];
    if (!includeInternal) conditions.push('c.internal = false');
    return queryRows<Comment>(
      this.dataSource.manager,
      `SELECT ${commentColumns('c')} FROM ${TABLES.comments} c ${whereClause(conditions)}
       ORDER BY c.ticket_id, c.created_at, c.id`,
      params.values,
    );
  }

  /**
   * Moves the status only if the ticket is still at `expectedVersion`, in one statement, so
   * two concurrent changes cannot both succeed. Undefined when the version has moved on.
   */
  async changeStatusIfVersion(
    manager: EntityManager,
    id: string,
    expectedVersion: number,
    status: TicketStatus,
    now: Date,
  ): Promise<Ticket | undefined> {
    const [ticket] = await queryRows<Ticket>(
      manager,
      `UPDATE ${TABLES.tickets} t SET status = $3, version = t.version + 1, updated_at = $4
       WHERE t.id = $1 AND t.version = $2
       RETURNING ${ticketColumns('t')}`,
      [id, expectedVersion, status, now],
    );
    return ticket;
  }

  async changeAssignee(
    manager: EntityManager,
    id: string,
    assigneeId: string,
    now: Date,
  ): Promise<Ticket> {
    const [ticket] = await queryRows<Ticket>(
      manager,
      `UPDATE ${TABLES.tickets} t SET assignee_id = $2, version = t.version + 1, updated_at = $3
       WHERE t.id = $1
       RETURNING ${ticketColumns('t')}`,
      [id, assigneeId, now],
    );
    return ticket;
  }

  /** A new comment is a new version of its ticket; a first response is recorded once. */
  async recordComment(
    manager: EntityManager,
    id: string,
    now: Date,
    isFirstResponse: boolean,
  ): Promise<Ticket> {
    const [ticket] = await queryRows<Ticket>(
      manager,
      `UPDATE ${TABLES.tickets} t
       SET version = t.version + 1, updated_at = $2,
           first_responded_at = CASE WHEN $3::boolean THEN COALESCE(t.first_responded_at, $2) ELSE t.first_responded_at END
       WHERE t.id = $1
       RETURNING ${ticketColumns('t')}`,
      [id, now, isFirstResponse],
    );
    return ticket;
  }
}
