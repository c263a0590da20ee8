import { queryRows } from '@servicedesk/platform';
import { Injectable } from '@nestjs/common';
import { aggregateTypeOf } from '@servicedesk/contracts';
import { Tx } from '@servicedesk/messaging';
import { TABLES } from '../database/tables';
import { COMMENT_KEYS, TICKET_KEYS } from '../tickets/ticket-idempotency-keys';

/** What replaces a redacted text: the ticket stays readable as a record, not as a story. */
export const ERASED_TEXT = '[erased]';

export interface ErasedPersonalData {
  tickets: number;
  comments: number;
  /** Published outbox rows deleted (`ticket.created` carried the requester's title). */
  forgottenEvents: number;
}

const TICKET_AGGREGATE = aggregateTypeOf('ticket.created');

/**
 * Forgets what a person wrote when they are erased: the title and description of the tickets
 * they requested, the bodies of the comments they authored and their idempotency keys. Ids, status, priority, SLA
 * times and tags (lowercase slugs that classify, not describe) stay, so the ticket history
 * and its statistics remain whole; others' comments on those tickets are theirs and stay too.
 * Each row is redacted once: a replayed erasure finds nothing left to do.
 */
@Injectable()
export class PersonalDataEraser {
  async erase(tx: Tx, userId: string, erasedAt: Date): Promise<ErasedPersonalData> {
    const [, tickets] = (await tx.manager.query(
      `UPDATE ${TABLES.tickets}
          SET title = $2::text, description = $2::text, requester_erased_at = $3::timestamptz,
              updated_at = greatest(updated_at, $3::timestamptz)
        WHERE requester_id = $1 AND requester_erased_at IS NULL`,
      [userId, ERASED_TEXT, erasedAt],
    )) as [unknown, number];
    const [, comments] = (await tx.manager.query(
      `UPDATE ${TABLES.comments} SET body = $2, author_erased_at = $3
        WHERE author_id = $1 AND author_erased_at IS NULL`,
      [userId, ERASED_TEXT, erasedAt],
    )) as [unknown, number];
    // Their keys' fingerprints were taken from what they wrote.
    await TICKET_KEYS.forgetCaller(tx.manager, userId);
    await COMMENT_KEYS.forgetCaller(tx.manager, userId);
    return { tickets, comments, forgottenEvents: await this.forgetPublishedTickets(tx, userId) };
  }

  /**
   * The outbox keeps published events for a while, and `ticket.created` holds the title: those
   * copies go too. Every ticket the person requested is looked at, not only those redacted
   * now, so a replay also catches a `ticket.created` published after the first erasure.
   */
  private async forgetPublishedTickets(tx: Tx, requesterId: string): Promise<number> {
    const requested = await queryRows<{ id: string }>(
      tx.manager,
      `SELECT id FROM ${TABLES.tickets} WHERE requester_id = $1`,
      [requesterId],
    );
    let forgotten = 0;
    for (const { id } of requested) {
      forgotten += await tx.forgetPublishedEvents(TICKET_AGGREGATE, id);
    }
    return forgotten;
  }
}
