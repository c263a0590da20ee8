import { randomUUID } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { ChannelModel, ConfirmChannel, connect } from 'amqplib';
import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { EventEnvelope, EventPayload, EventType, Role } from '@servicedesk/contracts';
import { Identity, createLogger } from '@servicedesk/platform';
import { buildEnvelope } from '@servicedesk/messaging';
import {
  GraphQLResponse,
  TestResource,
  createTestDatabase,
  createTestVhost,
  subgraphClient,
  waitFor,
} from '@servicedesk/testing';
import { createTicketApp } from '../src/app';
import { TicketConfig, loadTicketConfig } from '../src/config';
import { migrateTicketDatabase } from '../src/migrate';

const EVENTS_EXCHANGE = 'servicedesk.events';

/** An outbox row of the ticket service, as the assertions need it. */
export interface OutboxRow<T extends EventType = EventType> {
  id: string;
  event_type: T;
  aggregate_id: string;
  envelope: EventEnvelope<T>;
}

/** A running ticket service on its own database and vhost, and the tools to drive it. */
export interface TicketServiceFixture {
  config: TicketConfig;
  /** Base URL, e.g. http://127.0.0.1:41234 (GraphQL at `${url}/graphql`). */
  url: string;
  app: INestApplication;
  /** Superuser connection to the service's database, for assertions. */
  db: Client;
  query<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    identity?: Identity | null,
  ): Promise<GraphQLResponse<T>>;
  /** Publishes an event as another service's relay would (confirmed by the broker). */
  publish<T extends EventType>(
    type: T,
    aggregateId: string,
    payload: EventPayload<T>,
    occurredAt?: Date,
  ): Promise<EventEnvelope<T>>;
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
  /** SQL statements the service has run so far (its `db_queries_total`). */
  statementCount(): Promise<number>;
  /** Rows in a table of the ticket schema, for "nothing was written" checks. */
  count(table: 'tickets' | 'comments' | 'outbox'): Promise<number>;
  close(): Promise<void>;
}

export async function startTicketService(
  env: Record<string, string> = {},
): Promise<TicketServiceFixture> {
  const resources: TestResource[] = [];
  let app: INestApplication | undefined;
  let connection: ChannelModel | undefined;
  let db: Client | undefined;
  const close = async () => {
    await app?.close();
    await connection?.close();
    await db?.end();
    for (const resource of resources.reverse()) await resource.drop();
  };
  try {
    const database = await createTestDatabase();
    resources.push(database);
    const vhost = await createTestVhost();
    resources.push(vhost);
    const config = loadTicketConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: database.url,
      RABBITMQ_URL: vhost.url,
      TICKET_PORT: '0',
      // Tests run the detector on demand, at the instant they choose.
      SLA_CHECK_INTERVAL_MS: '0',
      ...env,
    });
    await migrateTicketDatabase(config);

    // The ticket events need a route, or the relay's mandatory publishes bounce.
    connection = await connect(vhost.url);
    const broker: ConfirmChannel = await connection.createConfirmChannel();
    await broker.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true });
    const { queue: ticketEvents } = await broker.assertQueue('test.ticket-events', {
      durable: false,
    });
    await broker.bindQueue(ticketEvents, EVENTS_EXCHANGE, 'ticket.#');

    app = await createTicketApp(config, createLogger('ticket', config.LOG_LEVEL));
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${url}/health/ready`)).status === 200, {
      description: 'the ticket service to be ready (database, broker, consumers)',
    });

    const sql = new Client({ connectionString: database.url });
    db = sql;
    await sql.connect();
    const client = subgraphClient({
      url: `${url}/graphql`,
      service: 'ticket',
      secret: config.SERVICE_TOKEN_SECRET,
    });

    const publish = async <T extends EventType>(
      type: T,
      aggregateId: string,
      payload: EventPayload<T>,
      occurredAt = new Date(),
    ): Promise<EventEnvelope<T>> => {
      const envelope = buildEnvelope(
        { type, aggregateId, payload, actor: null },
        { source: 'user', context: undefined, now: occurredAt },
      );
      await new Promise<void>((resolve, reject) => {
        broker.publish(
          EVENTS_EXCHANGE,
          type,
          Buffer.from(JSON.stringify(envelope)),
          {
            messageId: envelope.id,
            type,
            contentType: 'application/json',
            persistent: true,
            timestamp: Math.floor(occurredAt.getTime() / 1000),
            headers: { 'x-correlation-id': envelope.correlationId },
          },
          (error) => (error ? reject(error) : resolve()),
        );
      });
      return envelope;
    };

    const knownRole = async (userId: string): Promise<string | undefined> => {
      const { rows } = await sql.query<{ role: string; erased: boolean }>(
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
      config,
      url,
      app,
      db: sql,
      query: (query, variables, identity = null) => client.query(query, variables, identity),
      publish,
      async registerUsers(...identities) {
        const registeredAt = Date.now() - 60_000;
        for (const identity of identities) {
          await publish(
            'user.registered',
            identity.userId,
            {
              userId: identity.userId,
              email: `${identity.userId}@example.test`,
              name: `Test ${identity.role.toLowerCase()}`,
              role: 'CUSTOMER',
              timeZone: 'Europe/Berlin',
            },
            new Date(registeredAt),
          );
          if (identity.role !== 'CUSTOMER') {
            await publish(
              'user.role_changed',
              identity.userId,
              { userId: identity.userId, previousRole: 'CUSTOMER', role: identity.role },
              new Date(registeredAt + 1000),
            );
          }
        }
        for (const identity of identities) await waitForKnownRole(identity.userId, identity.role);
      },
      waitForKnownRole,
      async waitForProcessed(messageId) {
        await waitFor(
          async () => {
            const { rows } = await sql.query('SELECT 1 FROM ticket.inbox WHERE message_id = $1', [
              messageId,
            ]);
            return rows.length > 0;
          },
          { description: `message ${messageId} to be processed by the ticket service` },
        );
      },
      async outbox(aggregateId: string, type?: EventType) {
        const { rows } = await sql.query<OutboxRow>(
          `SELECT id, event_type, aggregate_id, envelope FROM ticket.outbox
           WHERE aggregate_id = $1 AND ($2::text IS NULL OR event_type = $2) ORDER BY seq`,
          [aggregateId, type ?? null],
        );
        return rows;
      },
      async outboxPublished() {
        await waitFor(
          async () => {
            const { rows } = await sql.query<{ pending: string }>(
              "SELECT count(*) AS pending FROM ticket.outbox WHERE status <> 'PUBLISHED'",
            );
            return rows[0].pending === '0';
          },
          { description: 'the relay to publish every outbox row' },
        );
      },
      async statementCount() {
        const metrics = await (await fetch(`${url}/metrics`)).text();
        const sample = metrics.split('\n').find((line) => line.startsWith('db_queries_total'));
        if (!sample) throw new Error('db_queries_total is missing from /metrics');
        return Number(sample.slice(sample.lastIndexOf(' ') + 1));
      },
      async count(table) {
        const { rows } = await sql.query<{ count: string }>(`SELECT count(*) FROM ticket.${table}`);
        return Number(rows[0].count);
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A fresh identity for a role; ids are unique so tests never see each other's data. */
export function anIdentity(role: Role): Identity {
  return { userId: randomUUID(), role };
}
