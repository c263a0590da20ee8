import { randomUUID } from 'node:crypto';
import { Channel, ConfirmChannel } from 'amqplib';
import {
  EVENTS_EXCHANGE,
  MessageHeaders,
  PlannedQueue,
  consumerOptions,
  deadLetterQueueName,
  declareTopology,
  migrateTopology,
  migrationQueueName,
  planTopology,
  retryQueueName,
} from '@servicedesk/messaging';
import { MessagingHarness } from './support/messaging-harness';

/** Classic queues of an older version become quorum queues, and keep every message. */
describe('queue migration', () => {
  const harness = MessagingHarness.forTests();
  const options = consumerOptions({ maxAttempts: 3, retry: { baseMs: 1000, maxMs: 4000 } });

  /** The topology as versions before quorum queues declared it. */
  async function declareClassic(channel: Channel, plan: readonly PlannedQueue[]): Promise<void> {
    for (const queue of plan) {
      if (queue.role === 'delay') {
        await channel.assertQueue(queue.name, {
          durable: true,
          deadLetterExchange: '',
          deadLetterRoutingKey: queue.workQueue,
        });
      } else {
        await channel.assertQueue(queue.name, { durable: true });
      }
      for (const key of queue.bindings) await channel.bindQueue(queue.name, EVENTS_EXCHANGE, key);
    }
  }

  function publish(
    channel: ConfirmChannel,
    exchange: string,
    routingKey: string,
    extra: { expiration?: string; headers?: Record<string, unknown> } = {},
  ): string {
    const id = randomUUID();
    channel.publish(exchange, routingKey, Buffer.from(JSON.stringify({ id })), {
      persistent: true,
      messageId: id,
      ...extra,
    });
    return id;
  }

  /** Whether `queue` exists (a check of a missing queue closes its channel: one of its own). */
  async function exists(queue: string): Promise<boolean> {
    const channel = await harness.broker.createChannel();
    channel.on('error', () => undefined);
    try {
      await channel.checkQueue(queue);
      await channel.close();
      return true;
    } catch {
      return false;
    }
  }

  /** Takes every message of `queue` off it: their ids, in order. */
  async function drain(channel: Channel, queue: string): Promise<string[]> {
    const ids: string[] = [];
    for (;;) {
      const message = await channel.get(queue, { noAck: true });
      if (!message) return ids;
      ids.push(String(message.properties.messageId));
    }
  }

  it('keeps every message, those published during the migration and those waiting for a retry included', async () => {
    const queue = 'ledger.users';
    const plan = planTopology({ [queue]: ['user.registered', 'user.erased'] }, options);
    const setup = await harness.broker.createConfirmChannel();
    await declareClassic(setup, plan);
    const waiting = Array.from({ length: 50 }, (_, i) =>
      publish(setup, EVENTS_EXCHANGE, i % 2 ? 'user.registered' : 'user.erased'),
    );
    // Far from due: only the migration can bring them back to the work queue in this test.
    const retrying = Array.from({ length: 5 }, () =>
      publish(setup, '', retryQueueName(queue, 2), {
        expiration: '600000',
        headers: { [MessageHeaders.attempt]: 3 },
      }),
    );
    const parked = Array.from({ length: 3 }, () => publish(setup, '', deadLetterQueueName(queue)));
    await setup.waitForConfirms();

    // A producer keeps publishing while the queues are moved.
    const live = await harness.broker.createConfirmChannel();
    const duringMigration: string[] = [];
    let migrating = true;
    const producing = (async () => {
      while (migrating || duringMigration.length < 20) {
        duringMigration.push(publish(live, EVENTS_EXCHANGE, 'user.registered'));
        await live.waitForConfirms();
      }
    })();
    const migrated = await migrateTopology(harness.broker, plan).finally(() => {
      migrating = false;
    });
    await producing;

    expect(migrated.map((entry) => entry.queue).sort()).toEqual(plan.map((q) => q.name).sort());
    // Every queue is now as planned: declaring the plan again is accepted.
    const check = await harness.broker.createChannel();
    await expect(declareTopology(check, plan)).resolves.toBeUndefined();
    expect(await exists(migrationQueueName(queue))).toBe(false);

    const channel = await harness.broker.createChannel();
    const inWorkQueue = new Set(await drain(channel, queue));
    for (const id of [...waiting, ...retrying, ...duringMigration])
      expect(inWorkQueue).toContain(id);
    expect(await drain(channel, deadLetterQueueName(queue))).toEqual(parked);
    for (const delay of plan.filter((q) => q.role === 'delay'))
      expect((await channel.checkQueue(delay.name)).messageCount).toBe(0);
    await Promise.all([setup, live, check, channel].map((c) => c.close()));
  });

  it('keeps the headers a retry carries and drops its delay', async () => {
    const queue = 'ledger.accounts';
    const plan = planTopology({ [queue]: ['user.role_changed'] }, options);
    const setup = await harness.broker.createConfirmChannel();
    await declareClassic(setup, plan);
    const id = publish(setup, '', retryQueueName(queue, 1), {
      expiration: '600000',
      headers: {
        [MessageHeaders.attempt]: 2,
        [MessageHeaders.originalRoutingKey]: 'user.role_changed',
      },
    });
    await setup.waitForConfirms();

    await migrateTopology(harness.broker, plan);

    const message = await setup.get(queue, { noAck: true });
    expect(message && message.properties).toMatchObject({
      messageId: id,
      expiration: undefined,
      headers: {
        [MessageHeaders.attempt]: 2,
        [MessageHeaders.originalRoutingKey]: 'user.role_changed',
      },
    });
    await setup.close();
  });

  it('finishes a migration that stopped after the queue was redeclared', async () => {
    const queue = 'ledger.invoices';
    const plan = planTopology({ [queue]: ['ticket.created'] }, options);
    const setup = await harness.broker.createConfirmChannel();
    await declareTopology(setup, plan);
    // What a crash leaves: the messages still in the temporary queue, which is still bound.
    const aside = migrationQueueName(queue);
    await setup.assertQueue(aside, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await setup.bindQueue(aside, EVENTS_EXCHANGE, 'ticket.created');
    const ids = Array.from({ length: 10 }, () => publish(setup, '', aside));
    await setup.waitForConfirms();

    expect(await migrateTopology(harness.broker, plan)).toEqual([{ queue, moved: 10 }]);

    expect(await drain(setup, queue)).toEqual(ids);
    expect(await exists(aside)).toBe(false);
    await setup.close();
  });

  it('refuses to move the messages of a queue that still has a consumer', async () => {
    const queue = 'ledger.payments';
    const plan = planTopology({ [queue]: ['ticket.assigned'] }, options);
    const setup = await harness.broker.createConfirmChannel();
    await declareClassic(setup, plan);
    const id = publish(setup, EVENTS_EXCHANGE, 'ticket.assigned');
    await setup.waitForConfirms();
    const consumer = await harness.broker.createChannel();
    await consumer.prefetch(1);
    await consumer.consume(queue, () => undefined);

    await expect(migrateTopology(harness.broker, plan)).rejects.toThrow(
      /ledger\.payments has 1 consumer\(s\): stop the services consuming it/,
    );

    await consumer.close();
    expect(await drain(setup, queue)).toEqual([id]);
    await setup.close();
  });
});
