import { EventEnvelope } from '@servicedesk/contracts';
import { anEvent, waitFor } from '@servicedesk/testing';
import {
  BatchEventHandler,
  Delivery,
  PartialConsumerOptions,
  PermanentError,
  TransientError,
  Tx,
  consumerOptions,
  deadLetterQueues,
  declareTopology,
  peekDeadLetters,
  planTopology,
} from '@servicedesk/messaging';
import { MessagingHarness, TEST_SCHEMA, counterValue } from './support/messaging-harness';

const OPTIONS: PartialConsumerOptions = {
  batchSize: 10,
  batchWaitMs: 20,
  maxAttempts: 3,
  retry: { baseMs: 20, maxMs: 200, jitter: 0 },
  reconnect: { baseMs: 20, maxMs: 100, jitter: 0 },
};

/** A call of `afterCommitBatch`: the event ids and the attempt of each delivery, in order. */
interface AfterCommitCall {
  ids: string[];
  attempts: number[];
}

/**
 * Applies batches with one multi-row insert; its batch after-commit work records its calls,
 * fails the events the test scripts (once each), and can be held at its next call.
 */
class BatchAfterCommitRecorder implements BatchEventHandler {
  readonly calls: AfterCommitCall[] = [];
  readonly perEvent: string[] = [];
  readonly failOnce = new Map<string, () => Error>();
  private held?: { entered: () => void; open: Promise<void> };

  constructor(private readonly queue: string) {}

  async handleBatch(events: readonly EventEnvelope[], tx: Tx): Promise<void> {
    await tx.manager.query(
      `INSERT INTO ${TEST_SCHEMA}.effects (event_id, consumer)
       SELECT id, $2 FROM unnest($1::uuid[]) WITH ORDINALITY AS e(id, n) ORDER BY n`,
      [events.map((event) => event.id), this.queue],
    );
  }

  async handle(event: EventEnvelope, tx: Tx): Promise<void> {
    await this.handleBatch([event], tx);
  }

  async afterCommit(event: EventEnvelope): Promise<void> {
    this.perEvent.push(event.id);
  }

  async afterCommitBatch(
    events: readonly EventEnvelope[],
    deliveries: readonly Delivery[],
  ): Promise<Array<Error | undefined>> {
    this.calls.push({
      ids: events.map((event) => event.id),
      attempts: deliveries.map((delivery) => delivery.attempt),
    });
    const held = this.held;
    this.held = undefined;
    if (held) {
      held.entered();
      await held.open;
    }
    return events.map((event) => {
      const failure = this.failOnce.get(event.id);
      this.failOnce.delete(event.id);
      return failure?.();
    });
  }

  /** Stops the next call of `afterCommitBatch` until `open` is called. */
  hold(): { entered: Promise<void>; open: () => void } {
    let open!: () => void;
    let entered!: () => void;
    const reached = new Promise<void>((resolve) => (entered = resolve));
    this.held = { entered, open: new Promise<void>((resolve) => (open = resolve)) };
    return { entered: reached, open };
  }
}

describe('consumer: after-commit work of whole batches', () => {
  const harness = MessagingHarness.forTests();

  async function declared(queue: string): Promise<void> {
    const channel = await harness.broker.createChannel();
    await declareTopology(
      channel,
      planTopology({ [queue]: ['user.registered'] }, consumerOptions(OPTIONS)),
    );
    await channel.close();
  }

  async function publishAll(events: readonly EventEnvelope[]): Promise<void> {
    const publisher = await harness.eventPublisher();
    for (const event of events) await publisher.publish(event);
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

  function start(
    queue: string,
    handler: BatchAfterCommitRecorder,
    overrides: PartialConsumerOptions & { rabbitmqUrl?: string } = {},
  ) {
    return harness.startConsumer([{ queue, events: ['user.registered'], handler }], {
      ...OPTIONS,
      ...overrides,
    });
  }

  const events = (count: number) => Array.from({ length: count }, () => anEvent('user.registered'));

  it('runs once per batch with every message, duplicates included, and retries only the events that failed', async () => {
    const queue = 'messaging-test.batch-after-commit';
    await declared(queue);
    const [a, b, c] = events(3);
    await publishAll([a, a, b, c]);
    const handler = new BatchAfterCommitRecorder(queue);
    handler.failOnce.set(b.id, () => new TransientError('mail server busy'));

    const { consumer, metrics } = await start(queue, handler);
    const outcome = (name: string) =>
      counterValue(metrics, 'messaging_consumed_total', { queue, outcome: name });

    await waitFor(async () => (await outcome('duplicate')) === 2, {
      description: "the copy of a and b's retry settled as inbox duplicates",
    });
    expect(handler.calls).toEqual([
      { ids: [a.id, a.id, b.id, c.id], attempts: [1, 1, 1, 1] },
      { ids: [b.id], attempts: [2] },
    ]);
    expect(handler.perEvent).toEqual([]);
    expect(await effects(queue)).toEqual([a.id, b.id, c.id]);
    expect(await outcome('processed')).toBe(2);
    expect(await outcome('retried')).toBe(1);
    await consumer.stop();
    expect(await queueDepth(queue)).toBe(0);
  });

  it('parks an event whose work failed for good, alone, while the rest of its batch is settled', async () => {
    const queue = 'messaging-test.batch-after-commit-parked';
    await declared(queue);
    const [a, b, c] = events(3);
    await publishAll([a, b, c]);
    const handler = new BatchAfterCommitRecorder(queue);
    handler.failOnce.set(b.id, () => new PermanentError('mailbox does not exist'));

    const { metrics } = await start(queue, handler);

    const parked = await waitFor(
      async () => {
        const letters = await peekDeadLetters(harness.broker, queue, 10);
        return letters.length === 1 && letters;
      },
      { description: 'the failed event parked' },
    );
    expect(parked[0]).toMatchObject({ messageId: b.id, attempts: 1 });
    expect(parked[0].error).toContain('mailbox does not exist');
    expect(handler.calls).toEqual([{ ids: [a.id, b.id, c.id], attempts: [1, 1, 1] }]);
    expect(
      await counterValue(metrics, 'messaging_consumed_total', { queue, outcome: 'processed' }),
    ).toBe(2);
    expect((await deadLetterQueues(harness.broker, [queue]))[0].messageCount).toBe(1);
  });

  it('commits the next batches while a batch’s after-commit work is under way, and runs those phases in batch order', async () => {
    const queue = 'messaging-test.batch-pipeline';
    await declared(queue);
    const first = events(3);
    await publishAll(first);
    const handler = new BatchAfterCommitRecorder(queue);
    const held = handler.hold();
    const { consumer } = await start(queue, handler, { batchSize: 3 });
    await held.entered;

    const later = events(6);
    await publishAll(later);

    // Their transactions committed, though the first batch's after-commit work still runs.
    await waitFor(async () => (await effects(queue)).length === first.length + later.length, {
      description: 'the later batches committed',
    });
    expect(handler.calls).toHaveLength(1);
    held.open();

    const all = [...first, ...later].map((event) => event.id);
    await waitFor(() => handler.calls.flatMap((call) => call.ids).length === all.length, {
      description: 'every batch’s after-commit work',
    });
    expect(handler.calls.flatMap((call) => call.ids)).toEqual(all);
    expect(await effects(queue)).toEqual(all);
    await consumer.stop();
    expect(await queueDepth(queue)).toBe(0);
  });

  it('acks no batch before its own after-commit work: a cut connection redelivers the committed ones', async () => {
    const queue = 'messaging-test.batch-pipeline-cut';
    await declared(queue);
    const first = events(3);
    await publishAll(first);
    const { proxy, rabbitmqUrl } = await harness.brokerProxy();
    const handler = new BatchAfterCommitRecorder(queue);
    const held = handler.hold();
    const { consumer, metrics } = await start(queue, handler, { batchSize: 3, rabbitmqUrl });
    await held.entered;
    const later = events(3);
    await publishAll(later);
    await waitFor(async () => (await effects(queue)).length === first.length + later.length, {
      description: 'the second batch committed',
    });

    proxy.cut();
    await waitFor(() => consumer.detachedQueues().length === 1, {
      description: 'the consumer to notice the loss',
    });
    held.open();
    proxy.restore();

    const all = [...first, ...later];
    await waitFor(
      async () =>
        (await counterValue(metrics, 'messaging_consumed_total', {
          queue,
          outcome: 'duplicate',
        })) === all.length,
      { description: 'both batches redelivered and settled as inbox duplicates' },
    );
    expect(await effects(queue)).toEqual(all.map((event) => event.id));
    // Each event's work ran again on its redelivery, after the commit it had already.
    const runs = handler.calls.flatMap((call) => call.ids);
    for (const event of all) expect(runs.filter((id) => id === event.id).length).toBeGreaterThan(1);
    await waitFor(() => consumer.detachedQueues().length === 0, {
      description: 'the consumer to be re-attached',
    });
    await consumer.stop();
    expect(await queueDepth(queue)).toBe(0);
  });
});
