import { randomUUID } from 'node:crypto';
import { ApolloFederationDriverConfig } from '@nestjs/apollo';
import { DynamicModule, INestApplication, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { EventEnvelope } from '@servicedesk/contracts';
import {
  DatabaseModule,
  LOCAL_SERVICE_TOKEN_SECRET,
  ManagementEndpoints,
  PlatformModule,
  baseConfigSchema,
  createDataSource,
  loadConfig,
  runWithContext,
  subgraphGraphQLOptions,
} from '@servicedesk/platform';
import { anIdentity, subgraphClient, waitFor } from '@servicedesk/testing';
import {
  EventHandler,
  MessagingModule,
  MessagingRuntime,
  PermanentError,
  Tx,
  UnitOfWork,
  createOperationsResolver,
  operationsTypeDefs,
} from '@servicedesk/messaging';
import { aUserRegistered } from './support/events';
import {
  MessagingHarness,
  TEST_SCHEMA,
  insertAggregate,
  recordEffect,
  silentLogger,
} from './support/messaging-harness';

const SERVICE = 'inventory';
const QUEUE = 'inventory.user-directory';

/** A feature of the test service: writes state + events through the UnitOfWork. */
@Injectable()
class DirectoryService {
  constructor(private readonly uow: UnitOfWork) {}

  register(userId: string): Promise<EventEnvelope<'user.registered'>> {
    return this.uow.run(async (tx) => {
      await insertAggregate(tx.manager, userId);
      return tx.emit(aUserRegistered(userId));
    });
  }
}

/** Its subscription handler: records what it saw; refuses ids it was told to refuse. */
@Injectable()
class UserDirectoryHandler implements EventHandler<'user.registered'> {
  readonly seen: EventEnvelope<'user.registered'>[] = [];
  readonly refused = new Set<string>();
  /** Aggregates whose handling waits until the test opens their gate. */
  readonly gates = new Map<string, { entered: () => void; open: Promise<void> }>();

  async handle(event: EventEnvelope<'user.registered'>, tx: Tx): Promise<void> {
    if (this.refused.has(event.aggregateId)) throw new PermanentError('this user cannot be listed');
    const gate = this.gates.get(event.aggregateId);
    if (gate) {
      gate.entered();
      await gate.open;
    }
    await recordEffect(tx.manager, event.id, QUEUE);
    this.seen.push(event);
  }
}

@Module({ providers: [DirectoryService, UserDirectoryHandler, createOperationsResolver(SERVICE)] })
class DirectoryModule {}

const baseTypeDefs = /* GraphQL */ `
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])
  type Query {
    version: String
  }
`;

function appModule(databaseUrl: string, rabbitmqUrl: string): DynamicModule {
  const config = loadConfig(baseConfigSchema, {
    DATABASE_URL: databaseUrl,
    RABBITMQ_URL: rabbitmqUrl,
    LOG_LEVEL: 'silent',
  });
  @Module({})
  class AppModule {}
  return {
    module: AppModule,
    imports: [
      PlatformModule.forRoot({ service: SERVICE, config, logger: silentLogger }),
      DatabaseModule.forRoot(({ logger, registry }) =>
        createDataSource({
          url: databaseUrl,
          schema: TEST_SCHEMA,
          entities: [],
          migrations: [],
          logger,
          registry,
        }),
      ),
      MessagingModule.forService({
        service: SERVICE,
        schema: TEST_SCHEMA,
        rabbitmqUrl,
        registry: { [QUEUE]: ['user.registered'] },
        subscriptions: [{ queue: QUEUE, handler: UserDirectoryHandler }],
        consumer: { maxAttempts: 2, retry: { baseMs: 20 } },
      }),
      GraphQLModule.forRoot<ApolloFederationDriverConfig>(
        subgraphGraphQLOptions({
          typeDefs: [baseTypeDefs, operationsTypeDefs(SERVICE)],
          production: false,
        }),
      ),
      DirectoryModule,
    ],
  };
}

interface OperationsView {
  service: string;
  outbox: { pending: number; failed: number; oldestPendingAgeSeconds: number | null };
  deadLetterQueues: Array<{
    queue: string;
    messageCount: number;
    messages: Array<{
      messageId: string;
      routingKey: string;
      error: string;
      attempts: number;
      envelope: string;
    }>;
  }>;
}

const admin = anIdentity('ADMIN');
const agent = anIdentity('AGENT');

describe('MessagingModule in a service', () => {
  let harness: MessagingHarness;
  let app: INestApplication;
  let url: string;
  let client: ReturnType<typeof subgraphClient>;
  let closed = false;

  beforeAll(async () => {
    harness = await MessagingHarness.create();
    app = await NestFactory.create(appModule(harness.database.url, harness.vhost.url), {
      logger: false,
    });
    await app.listen(0, '127.0.0.1');
    url = `${await app.getUrl()}`.replace('[::1]', '127.0.0.1');
    client = subgraphClient({
      url: `${url}/graphql`,
      service: SERVICE,
      secret: LOCAL_SERVICE_TOKEN_SECRET,
    });
  });

  afterAll(async () => {
    if (!closed) await app?.close();
    await harness.close();
  });

  it('is ready once the relay and the consumers are connected', async () => {
    const management = `http://127.0.0.1:${app.get(ManagementEndpoints).port}`;
    const response = await fetch(`${management}/health/ready`);
    const body = (await response.json()) as { checks: Record<string, unknown> };
    expect(response.status).toBe(200);
    expect(body.checks).toMatchObject({
      broker: { status: 'up' },
      consumers: { status: 'up' },
      database: { status: 'up' },
    });
  });

  it('delivers an event emitted in a request to the declared handler, with the request actor and correlation id', async () => {
    const correlationId = randomUUID();
    const userId = randomUUID();
    const envelope = await runWithContext({ correlationId, identity: admin }, () =>
      app.get(DirectoryService).register(userId),
    );

    const handler = app.get(UserDirectoryHandler);
    const seen = await waitFor(() => handler.seen.find((event) => event.id === envelope.id), {
      description: 'the handler to receive the event',
    });
    expect(seen).toMatchObject({
      source: SERVICE,
      aggregateType: 'user',
      aggregateId: userId,
      correlationId,
      actor: { id: admin.userId, role: 'ADMIN' },
    });
  });

  it('shows the outbox and the parked messages to an ADMIN, and replays only its own queues', async () => {
    const handler = app.get(UserDirectoryHandler);
    const refused = randomUUID();
    handler.refused.add(refused);
    const parked = await app.get(DirectoryService).register(refused);
    await waitFor(
      async () => (await harness.outboxRows()).every((row) => row.status === 'PUBLISHED'),
      {
        description: 'the outbox to drain',
      },
    );

    const query = /* GraphQL */ `
      query {
        inventoryOperations {
          service
          outbox {
            pending
            failed
            oldestPendingAgeSeconds
          }
          deadLetterQueues {
            queue
            messageCount
            messages(limit: 5) {
              messageId
              routingKey
              error
              attempts
              envelope
            }
          }
        }
      }
    `;
    const view = await waitFor(
      async () => {
        const response = await client.query<{ inventoryOperations: OperationsView }>(
          query,
          {},
          admin,
        );
        return (
          response.data?.inventoryOperations.deadLetterQueues[0]?.messageCount === 1 &&
          response.data.inventoryOperations
        );
      },
      { description: 'the refused message to be parked' },
    );
    expect(view.service).toBe(SERVICE);
    expect(view.outbox).toEqual({ pending: 0, failed: 0, oldestPendingAgeSeconds: null });
    expect(view.deadLetterQueues[0]).toMatchObject({ queue: QUEUE, messageCount: 1 });
    expect(view.deadLetterQueues[0].messages[0]).toMatchObject({
      messageId: parked.id,
      routingKey: 'user.registered',
      attempts: 1,
      error: 'PermanentError: this user cannot be listed',
    });
    expect(JSON.parse(view.deadLetterQueues[0].messages[0].envelope).id).toBe(parked.id);

    const forbidden = await client.query(query, {}, agent);
    expect(forbidden.errors?.[0].extensions?.code).toBe('FORBIDDEN');

    const foreign = await client.query(
      `mutation { replayInventoryDeadLetters(queue: "audit.events") { replayed } }`,
      {},
      admin,
    );
    expect(foreign.errors?.[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'queue',
    });

    handler.refused.delete(refused);
    const replay = await client.query<{
      replayInventoryDeadLetters: { queue: string; replayed: number };
    }>(`mutation { replayInventoryDeadLetters(queue: "${QUEUE}") { queue replayed } }`, {}, admin);
    expect(replay.data?.replayInventoryDeadLetters).toEqual({ queue: QUEUE, replayed: 1 });
    await waitFor(() => handler.seen.some((event) => event.id === parked.id), {
      description: 'the replayed message',
    });

    const retried = await client.query<{ retryInventoryFailedOutbox: number }>(
      `mutation { retryInventoryFailedOutbox }`,
      {},
      admin,
    );
    expect(retried.data?.retryInventoryFailedOutbox).toBe(0);
  });

  it('lets an in-flight handler finish and acknowledges its message when the app closes', async () => {
    const handler = app.get(UserDirectoryHandler);
    const userId = randomUUID();
    let entered!: () => void;
    let open!: () => void;
    const handling = new Promise<void>((resolve) => (entered = resolve));
    handler.gates.set(userId, { entered, open: new Promise<void>((resolve) => (open = resolve)) });
    const envelope = await app.get(DirectoryService).register(userId);
    await handling;

    const closing = app.close();
    closed = true;
    // The consumer is cancelled at once (not ready any more) but waits for the handler.
    const consumers = app
      .get(MessagingRuntime)
      .readinessChecks()
      .find((check) => check.name === 'consumers')!;
    await waitFor(
      () =>
        consumers.check().then(
          () => false,
          () => true,
        ),
      { description: 'the consumer to be cancelled' },
    );
    open();
    await closing;

    expect(await harness.effectCount(envelope.id)).toBe(1);
    const channel = await harness.broker.createChannel();
    const { messageCount } = await channel.checkQueue(QUEUE);
    await channel.close();
    expect(messageCount).toBe(0);
  });
});
