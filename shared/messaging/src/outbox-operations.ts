import { quoteIdentifier } from '@servicedesk/platform';
import { outboxChannel } from './topology';

/** Anything that runs SQL and returns rows: a TypeORM DataSource or EntityManager, or a wrapped pg client. */
export interface SqlRunner {
  // Rows come back untyped from the driver; each query below names its columns.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query(sql: string, parameters?: unknown[]): Promise<any>;
}

/** What the backlog gauges show: cheap to compute (partial indexes on PENDING and FAILED rows). */
export interface OutboxBacklog {
  pending: number;
  failed: number;
  /** Age of the oldest PENDING row, null when nothing is pending. */
  oldestPendingAgeSeconds: number | null;
}

export async function outboxBacklog(db: SqlRunner, schema: string): Promise<OutboxBacklog> {
  const table = `${quoteIdentifier(schema)}.outbox`;
  const [row] = await db.query(
    `SELECT
       (SELECT count(*) FROM ${table} WHERE status = 'PENDING')::int AS pending,
       (SELECT count(*) FROM ${table} WHERE status = 'FAILED')::int AS failed,
       (SELECT extract(epoch FROM now() - min(created_at)) FROM ${table} WHERE status = 'PENDING')::float8 AS oldest`,
  );
  return {
    pending: row.pending,
    failed: row.failed,
    oldestPendingAgeSeconds: row.oldest === null ? null : Math.max(0, row.oldest),
  };
}

export interface OutboxStatusReport extends OutboxBacklog {
  /** PUBLISHED rows still kept (for the retention period). */
  published: number;
  /** When the earliest postponed PENDING row becomes due, relative to now; null if none. */
  nextAttemptInMs: number | null;
}

/** The backlog of one service's outbox, as an operator sees it. */
export async function outboxStatus(db: SqlRunner, schema: string): Promise<OutboxStatusReport> {
  const table = `${quoteIdentifier(schema)}.outbox`;
  const backlog = await outboxBacklog(db, schema);
  const [row] = await db.query(
    `SELECT
       (SELECT count(*) FROM ${table} WHERE status = 'PUBLISHED')::int AS published,
       (SELECT extract(epoch FROM min(next_attempt_at) - now()) * 1000 FROM ${table}
         WHERE status = 'PENDING' AND next_attempt_at > now())::float8 AS next_ms`,
  );
  return {
    pending: backlog.pending,
    failed: backlog.failed,
    published: row.published,
    oldestPendingAgeSeconds: backlog.oldestPendingAgeSeconds,
    nextAttemptInMs: row.next_ms === null ? null : Math.ceil(row.next_ms),
  };
}

/**
 * Puts every parked (FAILED) row back in the queue with a fresh attempt budget and wakes the
 * relay. Returns how many rows were retried. The later rows of their aggregates, held back
 * behind them, are then published after them, in order.
 */
export async function retryFailedOutbox(db: SqlRunner, schema: string): Promise<number> {
  const table = `${quoteIdentifier(schema)}.outbox`;
  const [row] = await db.query(
    `WITH retried AS (
       UPDATE ${table}
          SET status = 'PENDING', attempts = 0, next_attempt_at = now(), last_error = NULL
        WHERE status = 'FAILED'
        RETURNING 1)
     SELECT (SELECT count(*) FROM retried)::int AS retried, pg_notify($1, '') AS notified`,
    [outboxChannel(schema)],
  );
  return row.retried;
}

export interface FailedOutboxRow {
  id: string;
  eventType: string;
  aggregateType: string;
  aggregateId: string;
  attempts: number;
  lastError: string | null;
  createdAt: string;
}

/** The parked rows, oldest first, for an operator deciding whether to retry them. */
export async function failedOutboxRows(
  db: SqlRunner,
  schema: string,
  limit = 20,
): Promise<FailedOutboxRow[]> {
  const rows: Array<Record<string, unknown>> = await db.query(
    `SELECT id, event_type, aggregate_type, aggregate_id, attempts, last_error, created_at
       FROM ${quoteIdentifier(schema)}.outbox WHERE status = 'FAILED' ORDER BY seq LIMIT $1`,
    [limit],
  );
  return rows.map((row) => ({
    id: String(row.id),
    eventType: String(row.event_type),
    aggregateType: String(row.aggregate_type),
    aggregateId: String(row.aggregate_id),
    attempts: Number(row.attempts),
    lastError: row.last_error === null ? null : String(row.last_error),
    createdAt: new Date(row.created_at as string).toISOString(),
  }));
}

/** The schemas that hold an outbox: every service using messaging, discovered from the database. */
export async function messagingSchemas(db: SqlRunner): Promise<string[]> {
  const rows: Array<{ table_schema: string }> = await db.query(
    `SELECT table_schema FROM information_schema.tables WHERE table_name = 'outbox' ORDER BY table_schema`,
  );
  return rows.map((row) => row.table_schema);
}

/** The work queues a service's consumers declared (recorded when they start). */
export async function subscribedQueues(db: SqlRunner, schema: string): Promise<string[]> {
  const rows: Array<{ queue: string }> = await db.query(
    `SELECT queue FROM ${quoteIdentifier(schema)}.messaging_subscriptions ORDER BY queue`,
  );
  return rows.map((row) => row.queue);
}
