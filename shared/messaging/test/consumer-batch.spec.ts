import { DataSource } from 'typeorm';
import { EventEnvelope } from '@servicedesk/contracts';
import { anEvent, waitFor } from '@servicedesk/testing';
import {
  BatchEventHandler,
  PermanentError,
  PartialConsumerOptions,
  Tx,
  consumerOptions,
  deadLetterQueues,
  declareTopology,
  planTopology,
} from '@servicedesk/messaging';
import {
  MessagingHarness,
  TEST_SCHEMA,
  counterValue,
  recordEffect,
} from './support/messaging-harness';

const OPTIONS: PartialConsumerOptions = {
  batchSize: 10,
  batchWaitMs: 20,
  maxAttempts: 3,
  retry: { baseMs: 20, maxMs: 200, jitter: 0 },
  reconnect: { baseMs: 20, maxMs: 100, jitter: 0 },
};

/** A gate a handler stops at (once) until the test opens it. */
interface Gate {
  where: 'handleBatch' | 'afterCommit';
  entered: () => void;
  open: Promise<void>;
}

/**
 * Applies batches with one multi-row insert into the test's effects table, as the audit log
 * does with its entries; records what it was given. Poisoned events can never be applied.
 */
class BatchRecorder implements BatchEventHandler {
  readonly batches: string[][] = [];
  readonly alone: string[] = [];
  readonly poisoned = new Set<string>();
  gate: Gate | undefined;

  constructor(private readonly queue: string) {}

  async handleBatch(events: readonly EventEnvelope[], tx: Tx): Promise<void> {
    const ids = events.map((event) => event.id);
    this.batches.push(ids);
    if (ids.some((id) => this.poisoned.has(id))) throw new PermanentError('a poisoned event');
    await tx.manager.query(
      `INSERT INTO ${TEST_SCHEMA}.effects (event_id, consumer)
       SELECT id, $2 FROM unnest($1::uuid[]) WITH ORDINALITY AS e(id, n) ORDER BY n`,
      [ids, this.queue],
    );
    await this.pass('handleBatch');
  }

  async handle(event: EventEnvelope, tx: Tx): Promise<void> {
    this.alone.push(event.id);
    if (this.poisoned.has(event.id)) throw new PermanentError('a poisoned event');
    await recordEffect(tx.manager, event.id, this.queue);
  }

  async afterCommit(): Promise<void> {
    await this.pass('afterCommit');
  }

  /** Stops the next call at `where` until `open` is called; `entered` resolves when it stops. */
  hold(where: Gate['where']): { entered: Promise<void>; open: () => void } {
    let open!: () => void;
    let entered!: () => void;
    const reached = new Promise<void>((resolve) => (entered = resolve));
    this.gate = { where, entered, open: new Promise<void>((resolve) => (open = resolve)) };
    return { entered: reached, open };
  }

  private async pass(where: Gate['where']): Promise<void> {
    const gate = this.gate;
    if (gate?.where !== where) return;
    this.gate = undefined;
    gate.entered();
    await gate.open;
  }
}

describe('consumer: batches', () => {
  const harness = MessagingHarness.forTests();

  /** Declares the queue's topology so that messages wait in it before any consumer runs. */
  async function declared(queue: string): Promise<void> {
    const channel = await harness.broker.createChannel();
    await declareTopology(
      channel,
      planTopology({ [queue]: ['user.registered'] }, consumerOptions(OPTIONS)),
    );
    await channel.close();
  }

  async function publishAll(count: number): Promise<EventEnvelope[]> {
    const publisher = await harness.eventPublisher();
    const events: EventEnvelope[] = [];
    for (let i = 0; i < count; i++)
      events.push(await publisher.publish(anEvent('user.registered')));
    return events;
  }

  async function effects(queue: string): Promise<string[]> {
    const rows: Array<{ event_id: string }> = await harness.dataSource.query(
      `SELECT event_id FROM ${TEST_SCHEMA}.effects WHERE consumer = $1 ORDER BY id`,
      [queue],
    );
    return rows.map((row) => row.event_id);
  }

  async function queueDepth(queue: string): Promise<number> {
    const channel = await harness.broker.createChannel();
    try {
      return (await channel.checkQueue(queue)).messageCount;
    } finally {
      await channel.close();
    }
  }

  async function start(
    queue: string,
    handler: BatchRecorder,
    overrides: PartialConsumerOptions & { rabbitmqUrl?: string; dataSource?: DataSource } = {},
  ) {
    return harness.startConsumer([{ queue, events: ['user.registered'], handler }], {
      ...OPTIONS,
      ...overrides,
    });
  }

  it('applies a backlog in batches, each event once and in delivery order', async () => {
    const queue = 'messaging-test.batch-order';
    await declared(queue);
    const events = await publishAll(45);
    const handler = new BatchRecorder(queue);

    const { consumer, metrics } = await start(queue, handler);

    await waitFor(async () => (await effects(queue)).length === events.length, {
      description: 'every event applied',
    });
    expect(await effects(queue)).toEqual(events.map((event) => event.id));
    expect(handler.batches.flat()).toEqual(events.map((event) => event.id));
    const sizes = handler.batches.map((batch) => batch.length);
    expect(Math.max(...sizes)).toBe(OPTIONS.batchSize);
    expect(handler.alone).toEqual([]);
    expect(
      await counterValue(metrics, 'messaging_consumed_total', { queue, outcome: 'processed' }),
    ).toBe(events.length);
    const batchSizes = await metrics.batchSize.get();
    const observed = (suffix: string) =>
      batchSizes.values.find(
        (value) => value.metricName === `messaging_consumer_batch_size_${suffix}`,
      )?.value;
    expect(observed('count')).toBe(handler.batches.length);
    expect(observed('sum')).toBe(events.length);
    // Whatever was not acked would be back in the queue once its consumer is gone.
    await consumer.stop();
    expect(await queueDepth(queue)).toBe(0);
  });

  it('applies a message delivered twice in one batch once, and a later copy is a duplicate', async () => {
    const queue = 'messaging-test.batch-duplicates';
    await declared(queue);
    const publisher = await harness.eventPublisher();
    const [first, second] = [anEvent('user.registered'), anEvent('user.registered')];
    await publisher.publish(first);
    await publisher.publish(first);
    await publisher.publish(second);
    const handler = new BatchRecorder(queue);
    const { metrics } = await start(queue, handler);
    const outcome = (name: string) =>
      counterValue(metrics, 'messaging_consumed_total', { queue, outcome: name });

    await waitFor(async () => (await outcome('duplicate')) === 1, {
      description: 'the copy within the batch counted as a duplicate',
    });
    expect(handler.batches.flat()).toEqual([first.id, second.id]);

    await publisher.publish(second);

    await waitFor(async () => (await outcome('duplicate')) === 2, {
      description: 'the copy in a later batch counted as a duplicate',
    });
    expect(await effects(queue)).toEqual([first.id, second.id]);
    expect(await outcome('processed')).toBe(2);
    expect(handler.batches.flat()).toEqual([first.id, second.id]);
  });

  it('parks a poisoned event and a malformed body alone while the rest of their batch commits', async () => {
    const queue = 'messaging-test.batch-poison';
    await declared(queue);
    const publisher = await harness.eventPublisher();
    const before = await publishAll(3);
    const poison = await publisher.publish(anEvent('user.registered'));
    await publisher.publishRaw('user.registered', Buffer.from('{"not": "an envelope"'));
    const after = await publishAll(3);
    const handler = new BatchRecorder(queue);
    handler.poisoned.add(poison.id);

    const { metrics } = await start(queue, handler);

    const applied = [...before, ...after].map((event) => event.id);
    await waitFor(async () => (await effects(queue)).length === applied.length, {
      description: 'the healthy events applied',
    });
    expect(await effects(queue)).toEqual(applied);
    const [dlq] = await waitFor(
      async () => {
        const infos = await deadLetterQueues(harness.broker, [queue]);
        return infos[0].messageCount === 2 && infos;
      },
      { description: 'the poisoned event and the malformed body parked' },
    );
    expect(dlq.messageCount).toBe(2);
    // Its batch was tried whole, then each of its events alone, in order.
    expect(handler.batches.flat()).toEqual([...before, poison, ...after].map((event) => event.id));
    expect(handler.alone).toContain(poison.id);
    expect(handler.alone).toEqual(
      [...before, poison, ...after]
        .map((event) => event.id)
        .filter((id) => handler.alone.includes(id)),
    );
    expect(
      await counterValue(metrics, 'messaging_consumed_total', {
        queue,
        outcome: 'dead_lettered',
      }),
    ).toBe(2);
  });

  it('keeps the effect once when the connection is cut after the commit and before the ack', async () => {
    const queue = 'messaging-test.batch-unacked';
    await declared(queue);
    const events = await publishAll(5);
    const { proxy, rabbitmqUrl } = await harness.brokerProxy();
    const handler = new BatchRecorder(queue);
    const held = handler.hold('afterCommit');
    const { consumer, metrics } = await start(queue, handler, { rabbitmqUrl });

    await held.entered;
    proxy.cut();
    await waitFor(() => consumer.detachedQueues().length === 1, {
      description: 'the consumer to notice the loss',
    });
    held.open();
    proxy.restore();

    await waitFor(
      async () =>
        (await counterValue(metrics, 'messaging_consumed_total', {
          queue,
          outcome: 'duplicate',
        })) === events.length,
      { description: 'the redelivered batch counted as inbox duplicates' },
    );
    expect(await effects(queue)).toEqual(events.map((event) => event.id));
    expect(handler.batches.flat()).toEqual(events.map((event) => event.id));
    await consumer.stop();
    expect(await queueDepth(queue)).toBe(0);
  });

  it('applies a batch once when the connection is cut while its transaction is open', async () => {
    const queue = 'messaging-test.batch-cut';
    await declared(queue);
    const events = await publishAll(4);
    const { proxy, rabbitmqUrl } = await harness.brokerProxy();
    const handler = new BatchRecorder(queue);
    const held = handler.hold('handleBatch');
    const { consumer, metrics } = await start(queue, handler, { rabbitmqUrl });

    await held.entered;
    proxy.cut();
    await waitFor(() => consumer.detachedQueues().length === 1, {
      description: 'the consumer to notice the loss',
    });
    held.open();
    proxy.restore();

    await waitFor(
      async () =>
        (await counterValue(metrics, 'messaging_consumed_total', {
          queue,
          outcome: 'duplicate',
        })) === events.length,
      { description: 'the redelivered batch counted as inbox duplicates' },
    );
    expect(await effects(queue)).toEqual(events.map((event) => event.id));
    await waitFor(() => consumer.detachedQueues().length === 0, {
      description: 'the consumer to be re-attached',
    });
    await consumer.stop();
    expect(await queueDepth(queue)).toBe(0);
  });

  it('retries a batch without using attempts while the database is away, then applies it once', async () => {
    const queue = 'messaging-test.batch-database';
    await declared(queue);
    const { proxy, dataSource } = await harness.databaseProxy();
    const handler = new BatchRecorder(queue);
    const { metrics } = await start(queue, handler, { dataSource });
    const outcome = (name: string) =>
      counterValue(metrics, 'messaging_consumed_total', { queue, outcome: name });

    proxy.cut();
    const events = await publishAll(3);
    // More rounds than the attempts allow: an outage must not use them up.
    await waitFor(async () => (await outcome('retried')) >= 3 * (OPTIONS.maxAttempts! + 1), {
      description: 'the batch retried past the attempts while the database is away',
    });
    proxy.restore();

    await waitFor(async () => (await outcome('processed')) === events.length, {
      description: 'the events applied once the database is back',
    });
    expect(new Set(await effects(queue))).toEqual(new Set(events.map((event) => event.id)));
    expect(await effects(queue)).toHaveLength(events.length);
    expect(await outcome('dead_lettered')).toBe(0);
  });

  it('lets a batch in flight commit and acks it when stopped', async () => {
    const queue = 'messaging-test.batch-stop';
    await declared(queue);
    const events = await publishAll(6);
    const handler = new BatchRecorder(queue);
    const held = handler.hold('handleBatch');
    const { consumer } = await start(queue, handler);
    await held.entered;

    const stopped = consumer.stop();
    await waitFor(() => consumer.detachedQueues().length === 1, {
      description: 'the consumer to be cancelled',
    });
    held.open();
    await stopped;

    expect(await effects(queue)).toEqual(events.map((event) => event.id));
    expect(await queueDepth(queue)).toBe(0);
  });
});
