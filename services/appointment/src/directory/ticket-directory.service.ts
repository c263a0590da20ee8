import { queryRows } from '@servicedesk/platform';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { TABLES } from '../database/tables';

/**
 * Which tickets exist and who requested them, from `ticket.created`: enough to check that
 * an appointment about a ticket is booked for the ticket's requester. A ticket's requester
 * never changes, so the first event is the whole truth and a redelivery changes nothing.
 */
@Injectable()
export class TicketDirectory {
  async recordTicket(manager: EntityManager, ticketId: string, requesterId: string): Promise<void> {
    await manager.query(
      `INSERT INTO ${TABLES.knownTickets} (id, requester_id) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`,
      [ticketId, requesterId],
    );
  }

  /** The requester of a known ticket, or undefined for a ticket not (yet) known here. */
  async requesterOf(manager: EntityManager, ticketId: string): Promise<string | undefined> {
    const [row] = await queryRows<{ requesterId: string }>(
      manager,
      `SELECT requester_id AS "requesterId" FROM ${TABLES.knownTickets} WHERE id = $1`,
      [ticketId],
    );
    return row?.requesterId;
  }
}
