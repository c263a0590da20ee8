import { EventEnvelope } from '@servicedesk/contracts';
import { EventPublisher, anEvent, waitFor } from '@servicedesk/testing';
import {
  Delivery,
  EventHandler,
  TransientError,
  Tx,
  deadLetterQueues,
} from '@servicedesk/messaging';
import { MessagingHarness, recordEffect } from './support/messaging-harness';

const QUEUE = 'messaging-test.after-commit';
const MAX_ATTEMPTS = 3;

/**
 * Records its effect in `handle`; `afterCommit` notes what another connection sees of the
 * message at that moment and fails as many times as the test says.
 */
class AfterCommitHandler implements EventHandler {
  readonly failures = new Map<string, number>();
  readonly seen = new Map<string, Array<{ delivery: Delivery; inbox: number; effects: number }>>();

  constructor(private readonly harness: MessagingHarness) {}

  async handle(event: EventEnvelope, tx: Tx): Promise<void> {
    await recordEffect(tx.manager, event.id, QUEUE);
  }

  async afterCommit(event: EventEnvelope, delivery: Delivery): Promise<void> {
    const [{ inbox }] = await this.harness.dataSource.query(
      `SELECT count(*)::int AS inbox FROM messaging_test.inbox WHERE message_id = $1`,
      [event.id],
    );
    const effects = await this.harness.effectCount(event.id);
    this.seen.set(event.id, [...(this.seen.get(event.id) ?? []), { delivery, inbox, effects }]);
    const left = this.failures.get(event.id) ?? 0;
    if (left > 0) {
      this.failures.set(event.id, left - 1);
      throw new TransientError('mail server busy');
    }
  }
}

describe('consumer: effects after the commit', () => {
  const harness = MessagingHarness.forTests();
  let handler: AfterCommitHandler;
  let publisher: EventPublisher;

  beforeAll(async () => {
    publisher = await harness.eventPublisher();
    handler = new AfterCommitHandler(harness);
    await harness.startConsumer([{ queue: QUEUE, events: ['user.registered'], handler }], {
      maxAttempts: MAX_ATTEMPTS,
      retry: { baseMs: 50, maxMs: 200, jitter: 0.2 },
    });
  });

  const dlqCount = async () => (await deadLetterQueues(harness.broker, [QUEUE]))[0].messageCount;

  it('runs afterCommit once the inbox record and the effect are committed', async () => {
    const event = await publisher.publish(anEvent('user.registered'));

    await waitFor(() => handler.seen.get(event.id), { description: 'afterCommit to run' });
    expect(handler.seen.get(event.id)).toEqual([
      {
        delivery: expect.objectContaining({
          attempt: 1,
          maxAttempts: MAX_ATTEMPTS,
          finalAttempt: false,
        }),
        inbox: 1,
        effects: 1,
      },
    ]);
  });

  it('retries a failed afterCommit through the delay queues on the inbox duplicate, the effect once', async () => {
    const event = anEvent('user.registered');
    handler.failures.set(event.id, 1);

    await publisher.publish(event);

    await waitFor(() => handler.seen.get(event.id)?.length === 2, {
      description: 'afterCommit to run again',
    });
    expect(handler.seen.get(event.id)?.map(({ delivery }) => delivery.attempt)).toEqual([1, 2]);
    expect(await harness.effectCount(event.id)).toBe(1);
  });

  it('parks the message when afterCommit keeps failing', async () => {
    const event = anEvent('user.registered');
    handler.failures.set(event.id, MAX_ATTEMPTS);

    await publisher.publish(event);

    await waitFor(async () => (await dlqCount()) === 1, { description: 'the message parked' });
    expect(handler.seen.get(event.id)).toHaveLength(MAX_ATTEMPTS);
    expect(await harness.effectCount(event.id)).toBe(1);
  });
});
