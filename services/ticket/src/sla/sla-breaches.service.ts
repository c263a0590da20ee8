import { queryRows } from '@servicedesk/platform';
import { Injectable } from '@nestjs/common';
import { EventPayload } from '@servicedesk/contracts';
import { Tx } from '@servicedesk/messaging';
import { TABLES } from '../database/tables';
import { DONE_STATUSES } from '../tickets/ticket-status';

export type SlaTargetKind = EventPayload<'ticket.sla_breached'>['target'];
export const SLA_TARGETS: readonly SlaTargetKind[] = ['FIRST_RESPONSE', 'RESOLUTION'];

/**
 * Written into the SQL, not bound: the planner uses a partial index only when it can prove
 * the query implies the index's predicate, which it cannot with a parameter. The detector's
 * indexes (migration `RestrictSlaIndexesToOpenTickets`) carry this very condition.
 */
const NOT_DONE = `status NOT IN (${DONE_STATUSES.map((status) => `'${status}'`).join(', ')})`;

const COLUMNS: Record<SlaTargetKind, { due: string; breached: string; pending: string }> = {
  FIRST_RESPONSE: {
    due: 'first_response_due_at',
    breached: 'first_response_breached_at',
    // Answered, resolved or closed: nobody waits for a first response any more.
    pending: `first_responded_at IS NULL AND ${NOT_DONE}`,
  },
  RESOLUTION: {
    due: 'resolution_due_at',
    breached: 'resolution_breached_at',
    pending: NOT_DONE,
  },
};

/**
 * A flag changes the ticket, so `updated_at` moves to `at`, but never back: a detector run's
 * `now` may be older than a command that changed the ticket meanwhile.
 */
const touched = (at: string) => `updated_at = GREATEST(t.updated_at, ${at})`;

interface BreachRow {
  ticketId: string;
  requesterId: string;
  assigneeId: string | null;
  dueAt: Date;
  breachedAt: Date;
}

function returning(target: SlaTargetKind): string {
  const { due, breached } = COLUMNS[target];
  return `t.id AS "ticketId", t.requester_id AS "requesterId", t.assignee_id AS "assigneeId",
          t.${due} AS "dueAt", t.${breached} AS "breachedAt"`;
}

/**
 * Records missed SLA targets. Each target of a ticket is flagged by one conditional UPDATE
 * (`… breached_at IS NULL`) in the transaction that emits `ticket.sla_breached`, so the
 * event exists exactly once however many detectors, replicas or commands race for it.
 * A flag moves `updated_at` but not `version`: it is the system's observation, and bumping
 * the version would make the `expectedVersion` of an agent working on the ticket stale.
 */
@Injectable()
export class SlaBreaches {
  /**
   * Claims up to `limit` tickets whose `target` is overdue at `now` and still pending.
   * A row locked by another transaction is waited for, not skipped, and checked again once
   * that transaction ends (it may have flagged or settled it): a detector that claims
   * nothing more has therefore seen every overdue ticket through. Skipping would let every
   * concurrent detector pass over a row locked by another one working on a different target.
   */
  async claimOverdue(tx: Tx, target: SlaTargetKind, now: Date, limit: number): Promise<number> {
    const { due, breached, pending } = COLUMNS[target];
    const rows = await queryRows<BreachRow>(
      tx.manager,
      `UPDATE ${TABLES.tickets} t SET ${breached} = $1, ${touched('$1')}
       WHERE t.id IN (
         SELECT id FROM ${TABLES.tickets}
         WHERE ${breached} IS NULL AND ${due} < $1 AND ${pending}
         ORDER BY ${due}
         LIMIT $2
         FOR UPDATE
       ) AND t.${breached} IS NULL
       RETURNING ${returning(target)}`,
      [now, limit],
    );
    await this.emit(tx, target, rows);
    return rows.length;
  }

  /**
   * Flags `target` of one ticket when it was met only after its due time (answered or
   * resolved late) and nobody flagged it yet. Call it in the transaction that meets it.
   */
  async recordIfLate(tx: Tx, ticketId: string, target: SlaTargetKind, now: Date): Promise<boolean> {
    const { due, breached } = COLUMNS[target];
    const rows = await queryRows<BreachRow>(
      tx.manager,
      `UPDATE ${TABLES.tickets} t SET ${breached} = $2, ${touched('$2')}
       WHERE t.id = $1 AND t.${breached} IS NULL AND t.${due} < $2
       RETURNING ${returning(target)}`,
      [ticketId, now],
    );
    await this.emit(tx, target, rows);
    return rows.length > 0;
  }

  /** One breach per ticket: emitted together, in one outbox statement. */
  private async emit(tx: Tx, target: SlaTargetKind, rows: BreachRow[]): Promise<void> {
    await Promise.all(
      rows.map((row) =>
        tx.emit({
          type: 'ticket.sla_breached',
          aggregateId: row.ticketId,
          actor: null,
          payload: {
            ticketId: row.ticketId,
            requesterId: row.requesterId,
            assigneeId: row.assigneeId,
            target,
            dueAt: row.dueAt.toISOString(),
            breachedAt: row.breachedAt.toISOString(),
          },
        }),
      ),
    );
  }
}
