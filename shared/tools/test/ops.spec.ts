import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ChannelModel, connect } from 'amqplib';
import { DataSource } from 'typeorm';
import { createDataSource, createLogger, migrate } from '@servicedesk/platform';
import { TestResource, createTestDatabase, createTestVhost } from '@servicedesk/testing';
import { consumingServiceOf } from '@servicedesk/contracts';
import { UnitOfWork, messagingMigration, platformQueues } from '@servicedesk/messaging';
import { OpsEnvironment, OpsError, runOpsCommand } from '../src/ops-commands';

const run = promisify(execFile);
const CLI = join(__dirname, '..', 'dist', 'ops.js');
const SERVICES = ['ops_alpha', 'ops_beta'];
/** A queue of the registry whose service (audit) never started against this database. */
const QUEUE = 'audit.events';
const logger = createLogger('ops-test', 'silent');

describe('ops commands against real PostgreSQL and RabbitMQ', () => {
  let database: TestResource;
  let vhost: TestResource;
  let dataSources: DataSource[];
  let broker: ChannelModel;
  let env: OpsEnvironment;

  async function emitUserErased(service: string): Promise<string> {
    const uow = new UnitOfWork(dataSources[SERVICES.indexOf(service)], {
      source: service,
      schema: service,
    });
    return uow.run(async (tx) => {
      const userId = randomUUID();
      return (await tx.emit({ type: 'user.erased', aggregateId: userId, payload: { userId } })).id;
    });
  }

  async function parkInDeadLetterQueue(count: number): Promise<void> {
    const channel = await broker.createConfirmChannel();
    await channel.assertQueue(`${QUEUE}`, { durable: true });
    await channel.assertQueue(`${QUEUE}.dlq`, { durable: true });
    for (let i = 0; i < count; i++) {
      channel.sendToQueue(`${QUEUE}.dlq`, Buffer.from(JSON.stringify({ id: randomUUID() })), {
        messageId: randomUUID(),
        headers: {
          'x-error': 'PermanentError: no such user',
          'x-attempts': 1,
          'x-original-routing-key': 'user.erased',
        },
      });
    }
    await channel.waitForConfirms();
    await channel.close();
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    vhost = await createTestVhost();
    dataSources = await Promise.all(
      SERVICES.map(async (schema) => {
        const dataSource = createDataSource({
          url: database.url,
          schema,
          entities: [],
          migrations: [messagingMigration(schema)],
          logger,
        });
        await migrate(dataSource, schema);
        return dataSource;
      }),
    );
    broker = await connect(vhost.url);
    env = { db: dataSources[0], broker: async () => broker };
  });

  afterAll(async () => {
    await broker?.close();
    await Promise.all(dataSources.map((dataSource) => dataSource.destroy()));
    await vhost.drop();
    await database.drop();
  });

  it('shows the outbox backlog of every service, and retries the parked events of one', async () => {
    await emitUserErased('ops_alpha');
    const parked = await emitUserErased('ops_alpha');
    await dataSources[0].query(
      `UPDATE ops_alpha.outbox SET status = 'FAILED', last_error = 'unroutable' WHERE id = $1`,
      [parked],
    );

    const status = await runOpsCommand({ kind: 'outbox-status', json: false }, env);

    expect(status.data).toEqual([
      {
        service: 'ops_alpha',
        pending: 1,
        failed: 1,
        published: 0,
        oldestPendingAgeSeconds: expect.any(Number),
      },
      { service: 'ops_beta', pending: 0, failed: 0, published: 0, oldestPendingAgeSeconds: null },
    ]);
    expect(status.text).toMatch(/^SERVICE\s+PENDING\s+FAILED\s+PUBLISHED\s+OLDEST PENDING/);
    expect(status.text).toContain(
      'retry with: npm run ops -- outbox retry-failed --service ops_alpha',
    );

    const retried = await runOpsCommand(
      { kind: 'outbox-retry-failed', service: 'ops_alpha', json: false },
      env,
    );
    expect(retried.data).toEqual({ service: 'ops_alpha', retried: 1 });
    const [row] = await dataSources[0].query(
      `SELECT status, attempts FROM ops_alpha.outbox WHERE id = $1`,
      [parked],
    );
    expect(row).toEqual({ status: 'PENDING', attempts: 0 });
  });

  it('names the services it knows when asked about another one', async () => {
    await expect(
      runOpsCommand({ kind: 'outbox-status', service: 'nope', json: false }, env),
    ).rejects.toThrow(
      new OpsError(
        'no service "nope" in this database (services with an outbox: ops_alpha, ops_beta)',
      ),
    );
  });

  it('lists the dead-letter queue of every queue of the registry, shows parked messages without removing them, and replays them', async () => {
    await parkInDeadLetterQueue(3);

    const list = await runOpsCommand({ kind: 'dlq-list', json: false }, env);
    const workQueues = platformQueues().filter((planned) => planned.role === 'work');
    expect(list.data).toEqual(
      workQueues.map(({ name }) => ({
        service: consumingServiceOf(name),
        queue: name,
        deadLetterQueue: `${name}.dlq`,
        messageCount: name === QUEUE ? 3 : 0,
        exists: name === QUEUE,
      })),
    );
    expect(list.text).toMatch(/^SERVICE\s+QUEUE\s+DEAD-LETTER QUEUE\s+MESSAGES\n/);
    expect(list.text).toMatch(/\naudit\s+audit\.events\s+audit\.events\.dlq\s+3\n/);
    expect(list.text).toMatch(
      /\nticket\s+ticket\.user-directory\s+ticket\.user-directory\.dlq\s+not declared/,
    );

    const shown = await runOpsCommand(
      { kind: 'dlq-show', queue: QUEUE, limit: 2, json: false },
      env,
    );
    expect(shown.data).toHaveLength(2);
    expect(shown.text).toContain('PermanentError: no such user');
    const audit = await runOpsCommand({ kind: 'dlq-list', service: 'audit', json: false }, env);
    expect(audit.data).toMatchObject([{ queue: QUEUE, messageCount: 3 }]);

    const replayed = await runOpsCommand(
      { kind: 'dlq-replay', queue: `${QUEUE}.dlq`, limit: 2, json: false },
      env,
    );
    expect(replayed.data).toEqual({ queue: QUEUE, replayed: 2 });
    const channel = await broker.createChannel();
    expect((await channel.checkQueue(QUEUE)).messageCount).toBe(2);
    expect((await channel.checkQueue(`${QUEUE}.dlq`)).messageCount).toBe(1);
    const message = await channel.get(QUEUE);
    expect(message && message.properties.headers).toMatchObject({
      'x-original-routing-key': 'user.erased',
    });
    expect(message && message.properties.headers?.['x-error']).toBeUndefined();
    await channel.close();
  });

  it('lists the dead-letter queues of one service, none for a service that consumes nothing, and refuses an unknown one', async () => {
    const audit = await runOpsCommand({ kind: 'dlq-list', service: 'audit', json: false }, env);
    expect(audit.data).toEqual([expect.objectContaining({ service: 'audit', queue: QUEUE })]);

    const user = await runOpsCommand({ kind: 'dlq-list', service: 'user', json: false }, env);
    expect(user).toEqual({ data: [], text: '(none)' });

    await expect(
      runOpsCommand({ kind: 'dlq-list', service: 'nope', json: false }, env),
    ).rejects.toThrow(/^no service "nope" \(services: .*audit/);
  });

  it('refuses a queue that does not exist', async () => {
    await expect(
      runOpsCommand({ kind: 'dlq-show', queue: 'nobody.home', limit: 5, json: false }, env),
    ).rejects.toThrow(/there is no queue nobody\.home\.dlq/);
  });

  it('runs as a command line tool, with --json output and clear infrastructure errors', async () => {
    const environment = { ...process.env, DATABASE_URL: database.url, RABBITMQ_URL: vhost.url };
    const { stdout } = await run(
      process.execPath,
      [CLI, 'outbox', 'status', '--service', 'ops_beta', '--json'],
      {
        env: environment,
      },
    );
    expect(JSON.parse(stdout)).toEqual([
      { service: 'ops_beta', pending: 0, failed: 0, published: 0, oldestPendingAgeSeconds: null },
    ]);

    const unreachable = run(process.execPath, [CLI, 'dlq', 'list'], {
      env: { ...environment, RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:1' },
    });
    await expect(unreachable).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('RabbitMQ is not reachable at amqp://guest:***@127.0.0.1:1'),
    });
  });
});
