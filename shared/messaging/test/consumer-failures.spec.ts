import { ChannelModel, connect } from 'amqplib';
import { EventEnvelope } from '@servicedesk/contracts';
import { EventPublisher, anEvent, waitFor } from '@servicedesk/testing';
import {
  EVENTS_EXCHANGE,
  EventConsumer,
  Delivery,
  EventHandler,
  MessagingMetrics,
  PermanentError,
  ReplayError,
  TransientError,
  Tx,
  deadLetterQueueName,
  deadLetterQueues,
  peekDeadLetters,
  replayDeadLetters,
  retryQueueName,
} from '@servicedesk/messaging';
import { MessagingHarness, counterValue, recordEffect } from './support/messaging-harness';

const QUEUE = 'messaging-test.failures';
const MAX_ATTEMPTS = 4;
const RETRY = { baseMs: 150, maxMs: 5000, jitter: 0.2 };

type Script = { failures: number; error: () => Error } | { permanent: true };

/**
 * A handler whose behaviour per aggregate is scripted by the test ("fail twice, then
 * succeed"), recording when it was called for each aggregate.
 */
class ScriptedHandler implements EventHandler {
  readonly scripts = new Map<string, Script>();
  readonly calls = new Map<string, number[]>();
  readonly deliveries = new Map<string, Delivery[]>();

  async handle(event: EventEnvelope, tx: Tx, delivery: Delivery): Promise<void> {
    const calls = this.calls.get(event.aggregateId) ?? [];
    calls.push(Date.now());
    this.calls.set(event.aggregateId, calls);
    this.deliveries.set(event.aggregateId, [
      ...(this.deliveries.get(event.aggregateId) ?? []),
      delivery,
    ]);
    const script = this.scripts.get(event.aggregateId);
    if (script && 'permanent' in script)
      throw new PermanentError('this message can never be applied');
    if (script && calls.length <= script.failures) throw script.error();
    await recordEffect(tx.manager, event.id, QUEUE);
  }

  callCount(aggregateId: string): number {
    return this.calls.get(aggregateId)?.length ?? 0;
  }
}

describe('consumer: retries, dead letters and replay', () => {
  const harness = MessagingHarness.forTests();
  let handler: ScriptedHandler;
  let consumer: EventConsumer;
  let metrics: MessagingMetrics;
  let publisher: EventPublisher;
  let broker: ChannelModel;

  function anEnvelope(script?: Script): EventEnvelope {
    const envelope = anEvent('user.registered');
    if (script) handler.scripts.set(envelope.aggregateId, script);
    return envelope;
  }

  async function dlqCount(): Promise<number> {
    const [info] = await deadLetterQueues(broker, [QUEUE]);
    return info.messageCount;
  }

  beforeAll(async () => {
    broker = harness.broker;
    publisher = await harness.eventPublisher();
    handler = new ScriptedHandler();
    ({ consumer, metrics } = await harness.startConsumer(
      [{ queue: QUEUE, events: ['user.registered'], handler }],
      {
        maxAttempts: MAX_ATTEMPTS,
        retry: RETRY,
      },
    ));
  });

  it('attaches a consumer to its queue and declares its delay queues and DLQ', async () => {
    expect(consumer.detachedQueues()).toEqual([]);
    const channel = await broker.createChannel();
    for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++)
      await channel.checkQueue(retryQueueName(QUEUE, attempt));
    await channel.checkQueue(`${QUEUE}.dlq`);
    await channel.close();
  });

  it('retries a transient failure with growing delays, then succeeds', async () => {
    const envelope = anEnvelope({ failures: 3, error: () => new TransientError('database busy') });

    await publisher.publish(envelope);

    await waitFor(async () => (await harness.effectCount(envelope.id)) === 1, {
      description: 'the fourth attempt to succeed',
    });
    const calls = handler.calls.get(envelope.aggregateId)!;
    expect(calls).toHaveLength(4);
    const gaps = calls.slice(1).map((time, i) => time - calls[i]);
    expect(gaps[0]).toBeGreaterThanOrEqual(RETRY.baseMs * (1 - RETRY.jitter));
    expect(gaps[1]).toBeGreaterThan(gaps[0]);
    expect(gaps[2]).toBeGreaterThan(gaps[1]);
    expect(
      await counterValue(metrics, 'messaging_consumed_total', { queue: QUEUE, outcome: 'retried' }),
    ).toBe(3);
  });

  it('parks a message that keeps failing after exactly the configured attempts, telling the handler which attempt is the last', async () => {
    const before = await dlqCount();
    const envelope = anEnvelope({
      failures: Number.MAX_SAFE_INTEGER,
      error: () => new Error('still down'),
    });

    await publisher.publish(envelope);

    await waitFor(async () => (await dlqCount()) === before + 1, {
      description: 'the message in the DLQ',
    });
    expect(handler.callCount(envelope.aggregateId)).toBe(MAX_ATTEMPTS);
    expect(handler.deliveries.get(envelope.aggregateId)).toEqual(
      Array.from({ length: MAX_ATTEMPTS }, (_, i) =>
        expect.objectContaining({
          attempt: i + 1,
          maxAttempts: MAX_ATTEMPTS,
          finalAttempt: i + 1 === MAX_ATTEMPTS,
        }),
      ),
    );
    const parked = (await peekDeadLetters(broker, QUEUE, 50)).find(
      (letter) => letter.messageId === envelope.id,
    );
    expect(parked).toMatchObject({
      attempts: MAX_ATTEMPTS,
      routingKey: 'user.registered',
      consumer: QUEUE,
      error: 'Error: still down',
    });
    expect(Date.parse(parked!.failedAt!)).not.toBeNaN();
    expect(await harness.effectCount(envelope.id)).toBe(0);
  });

  it('parks a permanent failure at once', async () => {
    const before = await dlqCount();
    const envelope = anEnvelope({ permanent: true });

    await publisher.publish(envelope);

    await waitFor(async () => (await dlqCount()) === before + 1, {
      description: 'the message in the DLQ',
    });
    expect(handler.callCount(envelope.aggregateId)).toBe(1);
    const parked = (await peekDeadLetters(broker, QUEUE, 50)).find(
      (letter) => letter.messageId === envelope.id,
    );
    expect(parked).toMatchObject({ attempts: 1, error: expect.stringMatching(/^PermanentError/) });
  });

  it('parks malformed messages at once, without calling the handler or retrying', async () => {
    const before = await dlqCount();
    const callsBefore = [...handler.calls.values()].flat().length;
    const violation = anEnvelope();
    const broken = { ...violation, payload: { ...violation.payload, userId: 'not-a-uuid' } };

    await publisher.publishRaw('user.registered', Buffer.from('{"this is": not json'));
    await publisher.publish(broken);

    await waitFor(async () => (await dlqCount()) === before + 2, {
      description: 'both messages in the DLQ',
    });
    expect([...handler.calls.values()].flat().length).toBe(callsBefore);
    const letters = await peekDeadLetters(broker, QUEUE, 50);
    const notJson = letters.find((letter) => letter.envelope === '{"this is": not json');
    const invalid = letters.find((letter) => letter.messageId === violation.id);
    expect(notJson).toMatchObject({
      attempts: 1,
      routingKey: 'user.registered',
      error: expect.stringMatching(/SyntaxError/),
    });
    expect(invalid).toMatchObject({
      attempts: 1,
      error: expect.stringMatching(/ContractViolationError.*userId/),
    });
    const channel = await broker.createChannel();
    for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
      expect((await channel.checkQueue(retryQueueName(QUEUE, attempt))).messageCount).toBe(0);
    }
    await channel.close();
  });

  it('leaves the messages in the DLQ when they are only looked at', async () => {
    const count = await dlqCount();
    await peekDeadLetters(broker, QUEUE, 50);
    await peekDeadLetters(broker, QUEUE, 50);
    expect(await dlqCount()).toBe(count);
  });

  it('processes a replayed message once its handler is fixed', async () => {
    const envelope = anEnvelope({ permanent: true });
    await publisher.publish(envelope);
    await waitFor(
      async () =>
        (await peekDeadLetters(broker, QUEUE, 50)).some((l) => l.messageId === envelope.id),
      {
        description: 'the message in the DLQ',
      },
    );
    handler.scripts.delete(envelope.aggregateId);
    const parked = await dlqCount();

    const result = await replayDeadLetters(broker, QUEUE, 100);

    expect(result).toEqual({ queue: QUEUE, replayed: parked });
    await waitFor(async () => (await harness.effectCount(envelope.id)) === 1, {
      description: 'the replayed message to be applied',
    });
    expect(handler.callCount(envelope.aggregateId)).toBe(2);
  });

  it('takes a nonsense attempt number in the headers for a first attempt', async () => {
    const envelopes = [0, -1, 1.5].map((attempt) => ({
      attempt,
      envelope: anEnvelope({ failures: 1, error: () => new TransientError('database busy') }),
    }));

    for (const { attempt, envelope } of envelopes) {
      publisher.channel.publish(
        EVENTS_EXCHANGE,
        envelope.type,
        Buffer.from(JSON.stringify(envelope)),
        { messageId: envelope.id, persistent: true, headers: { 'x-attempt': attempt } },
      );
    }
    await publisher.channel.waitForConfirms();

    for (const { envelope } of envelopes) {
      await waitFor(async () => (await harness.effectCount(envelope.id)) === 1, {
        description: 'the message to be retried once, then applied',
      });
      expect(handler.callCount(envelope.aggregateId)).toBe(2);
    }
  });

  it('reports a DLQ it cannot look at as an error, not as a queue never declared', async () => {
    const queue = 'messaging-test.locked';
    const owner = await connect(harness.vhost.url);
    try {
      const channel = await owner.createChannel();
      // Another connection's exclusive queue: the broker refuses access (405), it is not missing.
      await channel.assertQueue(deadLetterQueueName(queue), { exclusive: true });

      await expect(deadLetterQueues(broker, [queue])).rejects.toMatchObject({ code: 405 });
      expect(await deadLetterQueues(broker, ['messaging-test.never-declared'])).toEqual([
        expect.objectContaining({ exists: false, messageCount: 0 }),
      ]);
    } finally {
      await owner.close();
    }
  });

  it('leaves a message in the DLQ and reports the failure when its work queue is gone', async () => {
    const queue = 'messaging-test.deleted';
    const channel = await broker.createChannel();
    await channel.assertQueue(deadLetterQueueName(queue), { durable: true });
    const envelope = anEvent('user.registered');
    channel.sendToQueue(deadLetterQueueName(queue), Buffer.from(JSON.stringify(envelope)), {
      messageId: envelope.id,
      persistent: true,
    });
    await waitFor(
      async () => (await channel.checkQueue(deadLetterQueueName(queue))).messageCount === 1,
      {
        description: 'the message in the DLQ',
      },
    );

    const replay = replayDeadLetters(broker, queue, 10);

    await expect(replay).rejects.toThrow(ReplayError);
    await expect(replay).rejects.toThrow(
      /after 0 message\(s\).*there is no queue messaging-test\.deleted/,
    );
    expect((await channel.checkQueue(deadLetterQueueName(queue))).messageCount).toBe(1);
    await channel.close();
  });

  // Last: the failed move makes the consumer reconnect.
  it('keeps a failed message when its delay queue is gone, and handles it again', async () => {
    const channel = await broker.createChannel();
    await channel.deleteQueue(retryQueueName(QUEUE, 1));
    await channel.close();
    const envelope = anEnvelope({ failures: 1, error: () => new TransientError('database busy') });

    await publisher.publish(envelope);

    await waitFor(async () => (await harness.effectCount(envelope.id)) === 1, {
      description: 'the message to be redelivered and applied',
    });
    expect(handler.callCount(envelope.aggregateId)).toBe(2);
  });
});
