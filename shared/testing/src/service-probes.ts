import { Client } from 'pg';
import { EventEnvelope, EventType, Role } from '@servicedesk/contracts';
import { Identity } from '@servicedesk/platform';
import { quoteIdentifier } from '@servicedesk/platform';
import { EventPublisher, anEvent } from './events';
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

/** Probes of the service whose schema is `schema`, through its database and its management `/metrics`. */
export function serviceProbes(
  service: { db: Client; managementUrl: string },
  schema: string,
): ServiceProbes {
  const { db, managementUrl } = service;
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
      const statements = await scrapeMetric(managementUrl, 'db_queries_total', { origin: 'http' });
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

/** For services that keep a `known_users` directory fed by the user service's events. */
export interface KnownUserProbes {
  /**
   * Makes users known to the service the way production does: through `user.registered`
   * (and `user.role_changed` for agents and admins, who register as customers first),
   * consumed by the service's own consumer.
   */
  registerUsers(...identities: Identity[]): Promise<void>;
  /** Resolves once the service has recorded `role` (or the erasure) for the user. */
  waitForKnownRole(userId: string, role: Role | 'ERASED'): Promise<void>;
}

export function knownUserProbes(
  service: { db: Client; events: EventPublisher },
  schema: string,
): KnownUserProbes {
  const { db, events } = service;
  const knownRole = async (userId: string): Promise<string | undefined> => {
    const { rows } = await db.query<{ role: string; erased: boolean }>(
      `SELECT role, erased_at IS NOT NULL AS erased FROM ${quoteIdentifier(schema)}.known_users
       WHERE id = $1`,
      [userId],
    );
    return rows[0] && (rows[0].erased ? 'ERASED' : rows[0].role);
  };
  const waitForKnownRole = async (userId: string, role: Role | 'ERASED'): Promise<void> => {
    await waitFor(async () => (await knownRole(userId)) === role, {
      description: `user ${userId} to be known to the ${schema} service as ${role}`,
    });
  };
  return {
    waitForKnownRole,
    async registerUsers(...identities) {
      const registeredAt = Date.now() - 60_000;
      for (const identity of identities) {
        await events.publish(
          anEvent('user.registered', {
            aggregateId: identity.userId,
            occurredAt: new Date(registeredAt),
          }),
        );
        if (identity.role !== 'CUSTOMER') {
          await events.publish(
            anEvent('user.role_changed', {
              aggregateId: identity.userId,
              payload: { previousRole: 'CUSTOMER', role: identity.role },
              occurredAt: new Date(registeredAt + 1000),
            }),
          );
        }
      }
      for (const identity of identities) await waitForKnownRole(identity.userId, identity.role);
    },
  };
}
