import { SUBSCRIPTIONS } from '@servicedesk/contracts';
import { waitFor } from '@servicedesk/testing';
import { TopologyConflictError, consumerOptions, planTopology } from '@servicedesk/messaging';
import { aUserRegistered } from './support/events';
import { MessagingHarness, effectRecorder } from './support/messaging-harness';

/** A relay declares the whole platform's topology before it publishes: start order does not matter. */
describe('topology before traffic', () => {
  const harness = MessagingHarness.forTests();

  it('keeps an event published before its consumer ever started, and the consumer handles it', async () => {
    // A fresh vhost and only the producer: no consumer has declared a queue yet.
    const { relay } = await harness.startRelay({
      topology: planTopology(SUBSCRIPTIONS, consumerOptions()),
    });
    let eventId = '';
    await harness.unitOfWork().run(async (tx) => {
      eventId = (await tx.emit(aUserRegistered())).id;
    });
    await waitFor(
      async () =>
        (await harness.outboxRows()).find((row) => row.id === eventId)?.status === 'PUBLISHED',
      { description: 'the event to be published' },
    );
    await relay.stop();

    await harness.startConsumer([
      {
        queue: 'audit.events',
        events: SUBSCRIPTIONS['audit.events'],
        handler: effectRecorder('audit'),
      },
    ]);

    await waitFor(async () => (await harness.effectCount(eventId)) === 1, {
      description: 'the audit consumer, started later, to handle the event',
    });
  });

  it('refuses to start while a queue is a classic queue of an older version, and publishes nothing', async () => {
    const queue = 'ledger.users';
    const channel = await harness.broker.createChannel();
    await channel.assertQueue(queue, { durable: true });
    await channel.close();
    const event = await harness.unitOfWork().run((tx) => tx.emit(aUserRegistered()));

    const started = harness.startRelay({
      topology: planTopology({ [queue]: ['user.registered'] }, consumerOptions()),
    });

    await expect(started).rejects.toThrow(TopologyConflictError);
    await expect(started).rejects.toThrow(/queue ledger\.users .*npm run migrate/);
    const rows = await harness.outboxRows();
    expect(rows.find((row) => row.id === event.id)).toMatchObject({
      status: 'PENDING',
      attempts: 0,
    });
  });
});
