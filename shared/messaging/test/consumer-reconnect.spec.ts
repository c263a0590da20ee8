import { anEvent, waitFor } from '@servicedesk/testing';
import { MessagingHarness, effectRecorder } from './support/messaging-harness';

const QUEUE = 'messaging-test.reconnect';

describe('consumer: connection loss', () => {
  const harness = MessagingHarness.forTests();

  it('reconnects, re-attaches its consumer and processes what arrived meanwhile', async () => {
    const { proxy, rabbitmqUrl: proxiedUrl } = await harness.brokerProxy();
    const { consumer } = await harness.startConsumer(
      [{ queue: QUEUE, events: ['user.registered'], handler: effectRecorder(QUEUE) }],
      { rabbitmqUrl: proxiedUrl },
    );
    expect(consumer.detachedQueues()).toEqual([]);

    proxy.cut();
    await waitFor(() => consumer.detachedQueues().length === 1, {
      description: 'the consumer to notice the loss',
    });
    expect(consumer.brokerConnected).toBe(false);

    const envelope = anEvent('user.registered');
    await (await harness.eventPublisher()).publish(envelope);

    proxy.restore();

    await waitFor(() => consumer.detachedQueues().length === 0, {
      description: 'the consumer to be re-attached',
    });
    await waitFor(async () => (await harness.effectCount(envelope.id)) === 1, {
      description: 'the message sent during the outage to be processed',
    });
  });
});
