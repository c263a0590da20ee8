import { EventEnvelope } from '@servicedesk/contracts';
import { anEvent, waitFor } from '@servicedesk/testing';
import { EventHandler, subscribedQueues } from '@servicedesk/messaging';
import {
  MessagingHarness,
  TEST_SCHEMA,
  effectRecorder,
  recordEffect,
} from './support/messaging-harness';

const FAST_RECONNECT = { reconnect: { baseMs: 20, maxMs: 40, jitter: 0 } };

/** A handler that holds every message until the test opens its gate. */
class GatedHandler implements EventHandler {
  readonly entered: Promise<void>;
  private enter!: () => void;
  private release!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve));

  constructor(private readonly queue: string) {
    this.entered = new Promise<void>((resolve) => (this.enter = resolve));
  }

  async handle(event: EventEnvelope, tx: Parameters<EventHandler['handle']>[1]): Promise<void> {
    this.enter();
    await this.gate;
    await recordEffect(tx.manager, event.id, this.queue);
  }

  open(): void {
    this.release();
  }
}

describe('consumer: start and stop', () => {
  const harness = MessagingHarness.forTests();

  it('records the queues it consumes and forgets those it no longer declares', async () => {
    const [kept, dropped] = ['messaging-test.kept', 'messaging-test.dropped'];
    const before = await harness.startConsumer([
      { queue: kept, events: ['user.registered'], handler: effectRecorder(kept) },
      { queue: dropped, events: ['user.erased'], handler: effectRecorder(dropped) },
    ]);
    expect(await subscribedQueues(harness.dataSource, TEST_SCHEMA)).toEqual([dropped, kept]);
    await before.consumer.stop();

    const after = await harness.startConsumer([
      { queue: kept, events: ['user.registered'], handler: effectRecorder(kept) },
    ]);

    expect(await subscribedQueues(harness.dataSource, TEST_SCHEMA)).toEqual([kept]);
    await after.consumer.stop();
  });

  it('does not reconnect while it drains its in-flight handlers at shutdown', async () => {
    const [stopping, control] = ['messaging-test.stopping', 'messaging-test.control'];
    const { proxy, rabbitmqUrl } = await harness.brokerProxy();
    const gated = new GatedHandler(stopping);
    const { consumer } = await harness.startConsumer(
      [{ queue: stopping, events: ['user.registered'], handler: gated }],
      { rabbitmqUrl, ...FAST_RECONNECT },
    );
    // Same reconnection schedule, not stopped: when it is back, the other would be back too.
    const { consumer: controlConsumer } = await harness.startConsumer(
      [{ queue: control, events: ['user.role_changed'], handler: effectRecorder(control) }],
      { rabbitmqUrl, ...FAST_RECONNECT },
    );
    const publisher = await harness.eventPublisher();
    await publisher.publish(anEvent('user.registered'));
    await gated.entered;

    proxy.cut();
    await waitFor(
      () => consumer.detachedQueues().length === 1 && controlConsumer.detachedQueues().length === 1,
      { description: 'both consumers to lose the broker' },
    );
    const stopped = consumer.stop();
    proxy.restore();

    await waitFor(() => controlConsumer.detachedQueues().length === 0, {
      description: 'the control consumer to reconnect',
    });
    const probe = await publisher.publish(anEvent('user.role_changed'));
    await waitFor(async () => (await harness.effectCount(probe.id)) === 1, {
      description: 'the control consumer to process a message',
    });
    const channel = await harness.broker.createChannel();
    expect((await channel.checkQueue(stopping)).consumerCount).toBe(0);
    await channel.close();
    expect(consumer.detachedQueues()).toEqual([stopping]);

    gated.open();
    await stopped;
  });
});
