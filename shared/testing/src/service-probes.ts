import { Client } from 'pg';
import { EventEnvelope, EventType } from '@servicedesk/contracts';
import { quoteIdentifier } from '@servicedesk/platform';
import { waitFor } from './infrastructure';
import { scrapeMetric } from './metrics';

/** An outbox row of a service, as assertions need it. */
export interface OutboxRow<T extends EventType = EventType> {
  id: string;
  event_type: T;
  aggregate_id: string;
  envelope: EventEnvelope<T>;
}

/** What integration specs read of a running service: its inbox, outbox, tables and statements. */
export interface ServiceProbes {
  /** Whether the service's consumer has handled (and committed) the message. */
  isProcessed(messageId: string): Promise<boolean>;
  /** Resolves once the service's consumer has committed the message (its inbox row exists). */
  waitForProcessed(messageId: string): Promise<void>;
  /** Outbox rows of one aggregate (optionally one type), in emission order. */
  outbox(aggregateId: string): Promise<OutboxRow[]>;
  outbox<T extends EventType>(aggregateId: string, type: T): Promise<OutboxRow<T>[]>;
  /** Resolves once the relay has published every outbox row (so it is idle). */
  outboxPublished(): Promise<void>;
  /** SQL statements the service has run serving requests so far (`db_queries_total{origin="http"}`). */
  statementCount(): Promise<number>;
  /** Rows in a table of the service's schema, for "nothing was written" checks. */
  count(table: string): Promise<number>;
}

/** Probes of the service whose schema is `schema`, through its database and `/metrics` at `url`. */
export function serviceProbes(service: { db: Client; url: string }, schema: string): ServiceProbes {
  const { db, url } = service;
  const s = quoteIdentifier(schema);
  const isProcessed = async (messageId: string): Promise<boolean> =>
    (await db.query(`SELECT 1 FROM ${s}.inbox WHERE message_id = $1`, [messageId])).rows.length > 0;
  return {
    isProcessed,
    async waitForProcessed(messageId) {
      await waitFor(() => isProcessed(messageId), {
        description: `message ${messageId} to be processed by the ${schema} service`,
      });
    },
    async outbox<T extends EventType>(aggregateId: string, type?: T) {
      const { rows } = await db.query<OutboxRow<T>>(
        `SELECT id, event_type, aggregate_id, envelope FROM ${s}.outbox
         WHERE aggregate_id = $1 AND ($2::text IS NULL OR event_type = $2) ORDER BY seq`,
        [aggregateId, type ?? null],
      );
      return rows;
    },
    async outboxPublished() {
      await waitFor(
        async () => {
          const { rows } = await db.query<{ pending: string }>(
            `SELECT count(*) AS pending FROM ${s}.outbox WHERE status <> 'PUBLISHED'`,
          );
          return rows[0].pending === '0';
        },
        { description: 'the relay to publish every outbox row' },
      );
    },
    async statementCount() {
      const statements = await scrapeMetric(url, 'db_queries_total', { origin: 'http' });
      if (statements === undefined) throw new Error('db_queries_total is missing from /metrics');
      return statements;
    },
    async count(table) {
      const { rows } = await db.query<{ count: string }>(
        `SELECT count(*) FROM ${s}.${quoteIdentifier(table)}`,
      );
      return Number(rows[0].count);
    },
  };
}
