import { randomUUID } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { ChannelModel, ConfirmChannel, connect } from 'amqplib';
import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { Role } from '@servicedesk/contracts';
import { Identity, createLogger } from '@servicedesk/platform';
import {
  GraphQLResponse,
  TestResource,
  createTestDatabase,
  createTestVhost,
  subgraphClient,
  waitFor,
} from '@servicedesk/testing';
import { createAuditApp } from '../src/app';
import { AuditConfig, loadAuditConfig } from '../src/config';
import { migrateAuditDatabase } from '../src/migrate';

const EVENTS_EXCHANGE = 'servicedesk.events';
export const AUDIT_QUEUE = 'audit.events';

export function anIdentity(role: Role): Identity {
  return { userId: randomUUID(), role };
}

export interface RawProperties {
  messageId?: string;
  correlationId?: string;
}

/** A row of audit.audit_entry as PostgreSQL returns it (seq as text). */
export interface AuditRow {
  seq: string;
  event_id: string;
  type: string;
  source: string;
  aggregate_type: string;
  aggregate_id: string;
  actor_id: string | null;
  actor_role: string | null;
  correlation_id: string;
  occurred_at: Date;
  recorded_at: Date;
  payload: unknown;
  prev_hash: string;
  hash: string;
}

/** The columns of audit.audit_entry, seq as text (it is a bigint). */
export const AUDIT_ROW_COLUMNS = `seq::text AS seq, event_id, type, source, aggregate_type, aggregate_id, actor_id,
  actor_role, correlation_id, occurred_at, recorded_at, payload, prev_hash, hash`;

/** Parses one sample out of the Prometheus text format. */
function sampleValue(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (wanted.every((label) => line.includes(label)))
      return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

/** A running audit service on its own database and vhost, and the tools to drive it. */
export interface AuditServiceFixture {
  config: AuditConfig;
  url: string;
  app: INestApplication;
  /** Superuser connection to the service's database. */
  db: Client;
  broker: ConfirmChannel;
  query<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    identity?: Identity | null,
  ): Promise<GraphQLResponse<T>>;
  /** Publishes an envelope the way the relay does and waits for the broker's confirm. */
  publish(envelope: { id: string; type: string; correlationId?: string }): Promise<void>;
  /** Publishes arbitrary bytes with `routingKey`, for malformed-message tests. */
  publishRaw(routingKey: string, body: Buffer, properties?: RawProperties): Promise<void>;
  /** The value of a sample in the /metrics of the service (or of the instance at `instanceUrl`), 0 when absent. */
  metric(name: string, labels?: Record<string, string>, instanceUrl?: string): Promise<number>;
  /** Audit rows of the given events, in seq order. */
  entriesOf(eventIds: readonly string[]): Promise<AuditRow[]>;
  /** Another instance of the service on the same database and broker (a replica). */
  startReplica(): Promise<{ app: INestApplication; url: string }>;
  close(): Promise<void>;
}

async function startApp(config: AuditConfig): Promise<{ app: INestApplication; url: string }> {
  const app = await createAuditApp(config, createLogger('audit', config.LOG_LEVEL));
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/health/ready`)).status === 200, {
    description: 'the audit service to be ready (database, broker, consumers)',
  });
  return { app, url };
}

export async function startAuditService(): Promise<AuditServiceFixture> {
  const resources: TestResource[] = [];
  const apps: INestApplication[] = [];
  let connection: ChannelModel | undefined;
  let db: Client | undefined;
  const close = async () => {
    for (const app of apps.reverse()) await app.close();
    await connection?.close();
    await db?.end();
    for (const resource of resources.reverse()) await resource.drop();
  };
  try {
    const database = await createTestDatabase();
    resources.push(database);
    const vhost = await createTestVhost();
    resources.push(vhost);
    const config = loadAuditConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: database.url,
      RABBITMQ_URL: vhost.url,
      AUDIT_PORT: '0',
    });
    await migrateAuditDatabase(config);
    const { app, url } = await startApp(config);
    apps.push(app);

    const sql = new Client({ connectionString: database.url });
    db = sql;
    await sql.connect();
    connection = await connect(vhost.url);
    const broker = await connection.createConfirmChannel();
    await broker.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true });

    const client = subgraphClient({
      url: `${url}/graphql`,
      service: 'audit',
      secret: config.SERVICE_TOKEN_SECRET,
    });
    const publishRaw = (routingKey: string, body: Buffer, properties: RawProperties = {}) =>
      new Promise<void>((resolve, reject) => {
        broker.publish(
          EVENTS_EXCHANGE,
          routingKey,
          body,
          {
            messageId: properties.messageId ?? randomUUID(),
            type: routingKey,
            contentType: 'application/json',
            persistent: true,
            timestamp: Math.floor(Date.now() / 1000),
            headers: { 'x-correlation-id': properties.correlationId ?? randomUUID() },
          },
          (error) => (error ? reject(error) : resolve()),
        );
      });

    return {
      config,
      url,
      app,
      db: sql,
      broker,
      query: (query, variables, identity = null) => client.query(query, variables, identity),
      publish: (envelope) =>
        publishRaw(envelope.type, Buffer.from(JSON.stringify(envelope)), {
          messageId: envelope.id,
          correlationId: envelope.correlationId,
        }),
      publishRaw,
      async metric(name, labels = {}, instanceUrl = url) {
        const response = await fetch(`${instanceUrl}/metrics`);
        return sampleValue(await response.text(), name, labels);
      },
      async entriesOf(eventIds) {
        const { rows } = await sql.query<AuditRow>(
          `SELECT ${AUDIT_ROW_COLUMNS} FROM audit.audit_entry WHERE event_id = ANY($1) ORDER BY audit_entry.seq`,
          [eventIds],
        );
        return rows;
      },
      async startReplica() {
        const replica = await startApp(config);
        apps.push(replica.app);
        return replica;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
