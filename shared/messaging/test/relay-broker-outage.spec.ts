import { waitFor } from '@servicedesk/testing';
import { aUserRegistered } from './support/events';
import { MessagingHarness, drained } from './support/messaging-harness';

const CHANGES = 20;

describe('outbox relay: RabbitMQ unreachable', () => {
  const harness = MessagingHarness.forTests();

  it('keeps the rows committed during the outage PENDING, then publishes every one once RabbitMQ is back', async () => {
    const { proxy, rabbitmqUrl: proxiedUrl } = await harness.brokerProxy();
    const recorder = await harness.recordingQueue(['user.registered']);
    const { relay } = await harness.startRelay({ rabbitmqUrl: proxiedUrl });
    await waitFor(() => relay.brokerConnected, {
      description: 'the relay to reach RabbitMQ through the proxy',
    });

    proxy.cut();
    await waitFor(() => !relay.brokerConnected, {
      description: 'the relay to notice the broker is gone',
    });

    const uow = harness.unitOfWork();
    const ids: string[] = [];
    for (let i = 0; i < CHANGES; i++) {
      await uow.run(async (tx) => {
        ids.push((await tx.emit(aUserRegistered())).id);
      });
    }
    await drained(relay);

    const during = await harness.outboxRows();
    expect(
      during.filter((row) => ids.includes(row.id)).map((row) => [row.status, row.attempts]),
    ).toEqual(ids.map(() => ['PENDING', 0]));
    expect(recorder.ids()).toHaveLength(0);

    proxy.restore();

    await waitFor(() => ids.every((id) => recorder.ids().includes(id)), {
      timeoutMs: 20000,
      description: `all ${CHANGES} events to be consumed after the broker came back`,
    });
    await waitFor(
      async () =>
        (await harness.outboxRows()).filter(
          (row) => ids.includes(row.id) && row.status === 'PUBLISHED',
        ).length === CHANGES,
      { description: 'every row to be PUBLISHED' },
    );
    // The outage cost no attempts: each row was sent once, successfully.
    expect((await harness.outboxRows()).map((row) => row.attempts)).toEqual(ids.map(() => 1));
    expect(new Set(recorder.ids()).size).toBe(CHANGES);
    await relay.stop();
  });
});
