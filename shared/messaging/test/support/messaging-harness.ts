import { randomUUID } from 'node:crypto';
import { ChannelModel, ConsumeMessage, connect } from 'amqplib';
import { Registry } from 'prom-client';
import { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { EventType } from '@servicedesk/contracts';
import { createDataSource, createLogger, migrate } from '@servicedesk/platform';
import {
  EventPublisher,
  TcpProxy,
  TestResource,
  createTcpProxy,
  createTestDatabase,
  createTestVhost,
  eventPublisher,
} from '@servicedesk/testing';
import {
  EVENTS_EXCHANGE,
  EventConsumer,
  EventHandler,
  MessagingMetrics,
  OutboxRelay,
  PartialConsumerOptions,
  PartialRelayOptions,
  PlannedQueue,
  Subscription,
  UnitOfWork,
  consumerOptions,
  messagingMigration,
  relayOptions,
} from '@servicedesk/messaging';

export const TEST_SCHEMA = 'messaging_test';
export const TEST_SERVICE = 'messaging-test';
export const silentLogger = createLogger(TEST_SERVICE, 'silent');

/** The "state" a service changes next to its events, and the "effects" a consumer applies. */
class TestTables1763942500000 implements MigrationInterface {
  readonly name = 'TestTables1763942500000';
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE ${TEST_SCHEMA}.aggregates (id uuid PRIMARY KEY, version integer NOT NULL DEFAULT 0)`,
    );
    await queryRunner.query(
      `CREATE TABLE ${TEST_SCHEMA}.effects (id bigserial PRIMARY KEY, event_id uuid NOT NULL, consumer text NOT NULL)`,
    );
  }
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ${TEST_SCHEMA}.effects`);
    await queryRunner.query(`DROP TABLE ${TEST_SCHEMA}.aggregates`);
  }
}

interface World {
  database: TestResource;
  vhost: TestResource;
  dataSource: DataSource;
  broker: ChannelModel;
}

/**
 * One test file's world: its own database (migrated with the messaging tables and two test
 * tables) and its own RabbitMQ vhost; everything started through it is stopped by `close`.
 */
export class MessagingHarness {
  private readonly closers: Array<() => Promise<unknown>> = [];
  private world: World | undefined;

  private constructor() {}

  /** The harness of the enclosing `describe`: opened before its tests, closed after them. */
  static forTests(): MessagingHarness {
    const harness = new MessagingHarness();
    beforeAll(() => harness.open());
    afterAll(() => harness.close());
    return harness;
  }

  /** An open harness; the caller closes it. */
  static async create(): Promise<MessagingHarness> {
    const harness = new MessagingHarness();
    await harness.open();
    return harness;
  }

  get database(): TestResource {
    return this.opened().database;
  }

  get vhost(): TestResource {
    return this.opened().vhost;
  }

  get dataSource(): DataSource {
    return this.opened().dataSource;
  }

  get broker(): ChannelModel {
    return this.opened().broker;
  }

  private opened(): World {
    if (!this.world) throw new Error('the harness is not open yet: use it in tests and hooks');
    return this.world;
  }

  private async open(): Promise<void> {
    const database = await createTestDatabase();
    const vhost = await createTestVhost().catch(async (error: unknown) => {
      await database.drop();
      throw error;
    });
    const dataSource = newDataSource(database.url);
    try {
      await migrate(dataSource, TEST_SCHEMA);
      const broker = await connect(vhost.url);
      broker.on('error', () => undefined);
      this.world = { database, vhost, dataSource, broker };
      const channel = await broker.createChannel();
      await channel.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true });
      await channel.close();
    } catch (error) {
      await dataSource.destroy().catch(() => undefined);
      await this.world?.broker.close().catch(() => undefined);
      this.world = undefined;
      await vhost.drop();
      await database.drop();
      throw error;
    }
  }

  unitOfWork(dataSource = this.dataSource): UnitOfWork {
    return new UnitOfWork(dataSource, { source: TEST_SERVICE, schema: TEST_SCHEMA });
  }

  /** A second connection pool to the same database, as another replica of the service would have. */
  async anotherDataSource(): Promise<DataSource> {
    const dataSource = newDataSource(this.database.url);
    await dataSource.initialize();
    this.closers.push(() => dataSource.destroy());
    return dataSource;
  }

  /** A relay of the test service; it declares `topology` (none unless given) before it publishes. */
  async startRelay(
    overrides: PartialRelayOptions & {
      rabbitmqUrl?: string;
      dataSource?: DataSource;
      topology?: readonly PlannedQueue[];
    } = {},
  ): Promise<{ relay: OutboxRelay; metrics: MessagingMetrics }> {
    const {
      rabbitmqUrl = this.vhost.url,
      dataSource = this.dataSource,
      topology = [],
      ...options
    } = overrides;
    const metrics = new MessagingMetrics(new Registry());
    const relay = new OutboxRelay({
      dataSource,
      service: TEST_SERVICE,
      schema: TEST_SCHEMA,
      rabbitmqUrl,
      logger: silentLogger,
      metrics,
      topology,
      options: relayOptions({
        pollIntervalMs: 1000,
        reconnect: { baseMs: 50, maxMs: 500 },
        ...options,
      }),
    });
    this.closers.push(() => relay.stop());
    await relay.start();
    return { relay, metrics };
  }

  async startConsumer(
    subscriptions: Subscription[],
    overrides: PartialConsumerOptions & { rabbitmqUrl?: string; dataSource?: DataSource } = {},
  ): Promise<{ consumer: EventConsumer; metrics: MessagingMetrics }> {
    const { rabbitmqUrl = this.vhost.url, dataSource = this.dataSource, ...options } = overrides;
    const metrics = new MessagingMetrics(new Registry());
    const consumer = new EventConsumer({
      service: TEST_SERVICE,
      rabbitmqUrl,
      unitOfWork: this.unitOfWork(dataSource),
      subscriptions,
      logger: silentLogger,
      metrics,
      options: consumerOptions({ reconnect: { baseMs: 50, maxMs: 500 }, ...options }),
    });
    this.closers.push(() => consumer.stop());
    await consumer.start();
    return { consumer, metrics };
  }

  /**
   * A proxy between a client and this file's RabbitMQ that the test can cut and restore;
   * `rabbitmqUrl` goes through it.
   */
  async brokerProxy(): Promise<{ proxy: TcpProxy; rabbitmqUrl: string }> {
    const broker = new URL(this.vhost.url);
    const proxy = await createTcpProxy(broker.hostname, Number(broker.port || 5672));
    this.closers.push(() => proxy.close());
    return { proxy, rabbitmqUrl: proxy.urlFor(this.vhost.url) };
  }

  /**
   * A DataSource that reaches this file's database through a proxy the test can cut and
   * restore, as if PostgreSQL went away for this client only.
   */
  async databaseProxy(): Promise<{ proxy: TcpProxy; dataSource: DataSource }> {
    const database = new URL(this.database.url);
    const proxy = await createTcpProxy(database.hostname, Number(database.port || 5432));
    this.closers.push(() => proxy.close());
    const dataSource = newDataSource(proxy.urlFor(this.database.url));
    await dataSource.initialize();
    this.closers.push(() => dataSource.destroy());
    return { proxy, dataSource };
  }

  /** Publishes events to this file's vhost as another service's relay would. */
  async eventPublisher(): Promise<EventPublisher> {
    const publisher = await eventPublisher(this.vhost.url);
    this.closers.push(() => publisher.close());
    return publisher;
  }

  /** A plain queue bound to `events` that records every message it receives, in order. */
  async recordingQueue(events: readonly EventType[]): Promise<RecordingQueue> {
    const queue = `recorder.${randomUUID()}`;
    const channel = await this.broker.createChannel();
    await channel.assertQueue(queue, { durable: false, autoDelete: true });
    for (const event of events) await channel.bindQueue(queue, EVENTS_EXCHANGE, event);
    const received: ConsumeMessage[] = [];
    await channel.consume(queue, (message) => message && received.push(message), { noAck: true });
    this.closers.push(() => channel.close());
    return {
      received,
      ids: () => received.map((message) => String(message.properties.messageId)),
      bodies: () => received.map((message) => JSON.parse(message.content.toString('utf8'))),
    };
  }

  async outboxRows(): Promise<
    Array<{ id: string; status: string; attempts: number; last_error: string | null }>
  > {
    return this.dataSource.query(
      `SELECT id, status, attempts, last_error FROM ${TEST_SCHEMA}.outbox ORDER BY seq`,
    );
  }

  async effectCount(eventId: string): Promise<number> {
    const [{ count }] = await this.dataSource.query(
      `SELECT count(*)::int AS count FROM ${TEST_SCHEMA}.effects WHERE event_id = $1`,
      [eventId],
    );
    return count;
  }

  async close(): Promise<void> {
    const world = this.world;
    if (!world) return;
    this.world = undefined;
    for (const close of this.closers.splice(0).reverse()) await close().catch(() => undefined);
    await world.broker.close().catch(() => undefined);
    await world.dataSource.destroy().catch(() => undefined);
    await world.vhost.drop();
    await world.database.drop();
  }
}

export interface RecordingQueue {
  received: ConsumeMessage[];
  ids(): string[];
  // Bodies are the JSON envelopes as published.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  bodies(): any[];
}

/** What both a DataSource and a transaction's EntityManager can do. */
interface Queryable {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/** Creates the row of an aggregate, the state a service changes next to its events. */
export async function insertAggregate(db: Queryable, id: string): Promise<void> {
  await db.query(`INSERT INTO ${TEST_SCHEMA}.aggregates (id) VALUES ($1)`, [id]);
}

/** Records that `consumer` applied the event (what `effectCount` counts). */
export async function recordEffect(
  db: Queryable,
  eventId: string,
  consumer: string,
): Promise<void> {
  await db.query(`INSERT INTO ${TEST_SCHEMA}.effects (event_id, consumer) VALUES ($1, $2)`, [
    eventId,
    consumer,
  ]);
}

/** A handler that does nothing but record its effect, as consumer `consumer`. */
export function effectRecorder(consumer: string): EventHandler {
  return { handle: (event, tx) => recordEffect(tx.manager, event.id, consumer) };
}

/** Wakes the relay and resolves once it has published all it could. */
export async function drained(relay: OutboxRelay): Promise<void> {
  relay.wake();
  await relay.idle();
}

function newDataSource(url: string): DataSource {
  return createDataSource({
    url,
    schema: TEST_SCHEMA,
    entities: [],
    migrations: [messagingMigration(TEST_SCHEMA), TestTables1763942500000],
    logger: silentLogger,
  });
}

/** A counter's value for the label set that includes `labels`, 0 if never incremented. */
export async function counterValue(
  metrics: MessagingMetrics,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const match = values.find((value) =>
    Object.entries(labels).every(([key, expected]) => value.labels[key] === expected),
  );
  return match?.value ?? 0;
}
