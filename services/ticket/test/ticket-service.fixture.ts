import { INestApplication } from '@nestjs/common';
import { EventEnvelope, EventType, Role } from '@servicedesk/contracts';
import { Identity, createLogger } from '@servicedesk/platform';
import { EVENTS_EXCHANGE } from '@servicedesk/messaging';
import {
  EventPublisher,
  ServiceUnderTest,
  anEvent,
  scrapeMetric,
  startServiceUnderTest,
  waitFor,
} from '@servicedesk/testing';
import { createTicketApp } from '../src/app';
import { TicketConfig, loadTicketConfig } from '../src/config';
import { migrateTicketDatabase } from '../src/migrate';

/** An outbox row of the ticket service, as the assertions need it. */
export interface OutboxRow<T extends EventType = EventType> {
  id: string;
  event_type: T;
  aggregate_id: string;
  envelope: EventEnvelope<T>;
}

/** A running ticket service on its own database and vhost, and the tools to drive it. */
export interface TicketServiceFixture extends ServiceUnderTest<TicketConfig, INestApplication> {
  /** Publishes an event as another service's relay would (confirmed by the broker). */
  publish: EventPublisher['publish'];
  /** Resolves once the service's consumer has committed the message (its inbox row exists). */
  waitForProcessed(messageId: string): Promise<void>;
  /**
   * Makes users known to the ticket service the way production does: through
   * `user.registered` (and `user.role_changed` for agents and admins, who register as
   * customers first), consumed by the service's own consumer.
   */
  registerUsers(...identities: Identity[]): Promise<void>;
  /** The role the ticket service has recorded for a user, once it equals `role`. */
  waitForKnownRole(userId: string, role: Role | 'ERASED'): Promise<void>;
  /** Outbox rows of one aggregate (optionally one type), in emission order. */
  outbox(aggregateId: string): Promise<OutboxRow[]>;
  outbox<T extends EventType>(aggregateId: string, type: T): Promise<OutboxRow<T>[]>;
  /** Resolves once the relay has published every outbox row (so it is idle). */
  outboxPublished(): Promise<void>;
  /** SQL statements the service has run serving requests so far (`db_queries_total{origin="http"}`). */
  statementCount(): Promise<number>;
  /** Rows in a table of the ticket schema, for "nothing was written" checks. */
  count(table: 'tickets' | 'comments' | 'outbox'): Promise<number>;
}

export async function startTicketService(
  env: Record<string, string> = {},
): Promise<TicketServiceFixture> {
  const service = await startServiceUnderTest({
    service: 'ticket',
    loadConfig: loadTicketConfig,
    // Tests run the detector on demand, at the instant they choose.
    env: { SLA_CHECK_INTERVAL_MS: '0', ...env },
    migrate: migrateTicketDatabase,
    createApp: (config) => createTicketApp(config, createLogger('ticket', config.LOG_LEVEL)),
    // The ticket events need a route, or the relay's mandatory publishes bounce.
    async beforeStart({ events }) {
      const { queue } = await events.channel.assertQueue('test.ticket-events', { durable: false });
      await events.channel.bindQueue(queue, EVENTS_EXCHANGE, 'ticket.#');
    },
  });
  const { db, events, url } = service;

  const knownRole = async (userId: string): Promise<string | undefined> => {
    const { rows } = await db.query<{ role: string; erased: boolean }>(
      'SELECT role, erased_at IS NOT NULL AS erased FROM ticket.known_users WHERE id = $1',
      [userId],
    );
    return rows[0] && (rows[0].erased ? 'ERASED' : rows[0].role);
  };
  const waitForKnownRole = async (userId: string, role: Role | 'ERASED'): Promise<void> => {
    await waitFor(async () => (await knownRole(userId)) === role, {
      description: `user ${userId} to be known to the ticket service as ${role}`,
    });
  };

  return {
    ...service,
    publish: events.publish,
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
    waitForKnownRole,
    async waitForProcessed(messageId) {
      await waitFor(
        async () => {
          const { rows } = await db.query('SELECT 1 FROM ticket.inbox WHERE message_id = $1', [
            messageId,
          ]);
          return rows.length > 0;
        },
        { description: `message ${messageId} to be processed by the ticket service` },
      );
    },
    async outbox(aggregateId: string, type?: EventType) {
      const { rows } = await db.query<OutboxRow>(
        `SELECT id, event_type, aggregate_id, envelope FROM ticket.outbox
         WHERE aggregate_id = $1 AND ($2::text IS NULL OR event_type = $2) ORDER BY seq`,
        [aggregateId, type ?? null],
      );
      return rows;
    },
    async outboxPublished() {
      await waitFor(
        async () => {
          const { rows } = await db.query<{ pending: string }>(
            "SELECT count(*) AS pending FROM ticket.outbox WHERE status <> 'PUBLISHED'",
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
      const { rows } = await db.query<{ count: string }>(`SELECT count(*) FROM ticket.${table}`);
      return Number(rows[0].count);
    },
  };
}
