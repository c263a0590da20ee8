// The outbox relay's SQL: reading batches under the lease, recording what the broker did.
import { DataSource } from 'typeorm';
import { quoteIdentifier } from '@servicedesk/platform';
import { LeaseSession } from './outbox-listener';

export interface OutboxRow {
  id: string;
  /** bigint, as text. */
  seq: string;
  aggregate_type: string;
  aggregate_id: string;
  event_type: string;
  /**
   * The envelope as the text PostgreSQL prints it, published as it is: the relay never
   * needs it as an object, so it is neither parsed nor serialized again per row.
   */
  body: string;
  /** From the envelope, for the message's properties and the logs. */
  correlation_id: string | null;
  occurred_at: string | null;
  headers: Record<string, string>;
  attempts: number;
}

/** Where reading starts in a pass: before the first row. */
export const FIRST_SEQ = '0';

/**
 * The lease session's setting for the batch query. Statistics of a queue table are rarely
 * right: believing few rows PENDING, the planner would collect every pending row (a bitmap
 * scan) and sort them all to return the first hundred, a cost that grows with the backlog.
 * Walking the pending index in order stops at the limit. Only the relay's own session has it.
 */
export const LEASE_SESSION_SETUP = ['SET enable_bitmapscan = off'];

export class OutboxRelayRows {
  private readonly table: string;

  constructor(
    private readonly dataSource: DataSource,
    schema: string,
  ) {
    this.table = `${quoteIdentifier(schema)}.outbox`;
  }

  /**
   * The next PENDING rows after `afterSeq`, by seq, with whether each is due. Read on the
   * lease session (it fails once the lease is lost) and without row locks: only the lease
   * holder publishes or reschedules rows.
   */
  async readBatch(
    session: LeaseSession,
    afterSeq: string,
    limit: number,
  ): Promise<Array<OutboxRow & { due: boolean }>> {
    return session.query<OutboxRow & { due: boolean }>(
      `SELECT id, seq, aggregate_type, aggregate_id, event_type, envelope::text AS body,
              envelope->>'correlationId' AS correlation_id, envelope->>'occurredAt' AS occurred_at,
              headers, attempts, next_attempt_at <= now() AS due
         FROM ${this.table}
        WHERE status = 'PENDING' AND seq > $1::bigint
        ORDER BY seq
        LIMIT $2`,
      [afterSeq, limit],
    );
  }

  /**
   * The first row of each aggregate that holds back the later ones: parked FAILED, or PENDING
   * and waiting for its retry. Few rows, each found by a partial index.
   */
  async blockers(
    session: LeaseSession,
  ): Promise<Array<Pick<OutboxRow, 'aggregate_type' | 'aggregate_id' | 'seq'>>> {
    return session.query<Pick<OutboxRow, 'aggregate_type' | 'aggregate_id' | 'seq'>>(
      `SELECT aggregate_type, aggregate_id, min(seq)::text AS seq FROM (
         SELECT aggregate_type, aggregate_id, seq FROM ${this.table} WHERE status = 'FAILED'
         UNION ALL
         SELECT aggregate_type, aggregate_id, seq FROM ${this.table}
          WHERE status = 'PENDING' AND next_attempt_at > now()
       ) b
       GROUP BY aggregate_type, aggregate_id`,
    );
  }

  /**
   * Marks confirmed rows PUBLISHED: true whoever holds the lease now, so not fenced. The
   * commit does not wait for its WAL to reach the disk: a mark lost with the database server
   * leaves its rows PENDING, to be published again (consumers deduplicate), and never loses
   * one, while the flush of every mark's WAL (the rows are rewritten whole) held the drain up.
   */
  async markPublished(ids: readonly string[]): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query('SET LOCAL synchronous_commit = off');
      await manager.query(
        `UPDATE ${this.table}
            SET status = 'PUBLISHED', published_at = now(), attempts = attempts + 1, last_error = NULL
          WHERE id = ANY($1::uuid[]) AND status <> 'PUBLISHED'`,
        [ids],
      );
    });
  }

  /**
   * Records a refusal by the broker: the row's attempt count, its error, and either when it is
   * due again or that it is parked FAILED. On the lease session: never once the lease is lost.
   */
  async recordRefusal(
    session: LeaseSession,
    refusal: { id: string; attempts: number; error: string; parked: boolean; delayMs: number },
  ): Promise<void> {
    await session.query(
      `UPDATE ${this.table}
          SET attempts = $2, last_error = $3, status = $4,
              next_attempt_at = now() + make_interval(secs => $5::double precision / 1000)
        WHERE id = $1 AND status = 'PENDING'`,
      [
        refusal.id,
        refusal.attempts,
        refusal.error,
        refusal.parked ? 'FAILED' : 'PENDING',
        refusal.parked ? 0 : refusal.delayMs,
      ],
    );
  }

  /** Milliseconds until the earliest postponed PENDING row is due; null when none is. */
  async nextDueInMs(): Promise<number | null> {
    const [{ next_ms: nextMs }]: Array<{ next_ms: number | null }> = await this.dataSource.query(
      `SELECT (extract(epoch FROM min(next_attempt_at) - now()) * 1000)::float8 AS next_ms
         FROM ${this.table} WHERE status = 'PENDING' AND next_attempt_at > now()`,
    );
    return nextMs;
  }

  /** Deletes at most `limit` rows PUBLISHED more than `retentionMs` ago; resolves to how many. */
  async deletePublishedBefore(retentionMs: number, limit: number): Promise<number> {
    // TypeORM answers a DELETE with [rows, count].
    const [, deleted]: [unknown, number] = await this.dataSource.query(
      `DELETE FROM ${this.table} WHERE id IN (
         SELECT id FROM ${this.table}
          WHERE status = 'PUBLISHED'
            AND published_at < now() - make_interval(secs => $1::double precision / 1000)
          LIMIT $2)`,
      [retentionMs, limit],
    );
    return deleted;
  }
}
