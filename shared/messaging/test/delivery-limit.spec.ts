import { randomUUID } from 'node:crypto';
import { connect } from 'amqplib';
import { waitFor } from '@servicedesk/testing';
import {
  EVENTS_EXCHANGE,
  consumerOptions,
  deadLetterQueueName,
  declareTopology,
  peekDeadLetters,
  planTopology,
  replayDeadLetters,
} from '@servicedesk/messaging';
import { MessagingHarness } from './support/messaging-harness';

/** The work queues' delivery limit: the broker parks a message its consumer keeps dying on. */
describe('delivery limit', () => {
  const harness = MessagingHarness.forTests();
  const queue = 'ledger.poison';
  const deliveryLimit = 2;

  /** A consumer process that receives the message and dies before acknowledging it. */
  async function crashOnNextMessage(): Promise<void> {
    const connection = await connect(harness.vhost.url);
    const channel = await connection.createChannel();
    const received = new Promise<void>((resolve) => {
      void channel.consume(queue, (message) => message && resolve());
    });
    await received;
    await connection.close();
  }

  it('parks a message in the DLQ once it was delivered past the limit, and it can be replayed', async () => {
    const channel = await harness.broker.createConfirmChannel();
    await declareTopology(
      channel,
      planTopology({ [queue]: ['user.registered'] }, consumerOptions({ deliveryLimit })),
    );
    const id = randomUUID();
    channel.publish(EVENTS_EXCHANGE, 'user.registered', Buffer.from('{}'), {
      messageId: id,
      persistent: true,
    });
    await channel.waitForConfirms();

    let crashes = 0;
    // After each crash the message is back in the queue, or (dead-lettered asynchronously) parked.
    const whereIsIt = () =>
      waitFor(async () => {
        if ((await channel.checkQueue(deadLetterQueueName(queue))).messageCount === 1)
          return 'parked';
        return (await channel.checkQueue(queue)).messageCount === 1 && 'queued';
      });
    while ((await whereIsIt()) === 'queued') {
      expect(crashes).toBeLessThanOrEqual(deliveryLimit);
      await crashOnNextMessage();
      crashes += 1;
    }

    expect(crashes).toBe(deliveryLimit + 1);
    expect((await channel.checkQueue(queue)).messageCount).toBe(0);
    const [letter] = await peekDeadLetters(harness.broker, queue);
    expect(letter).toMatchObject({
      messageId: id,
      routingKey: 'user.registered',
      consumer: queue,
      error: expect.stringMatching(/delivered more times than the queue allows/),
    });
    expect(await replayDeadLetters(harness.broker, queue)).toEqual({ queue, replayed: 1 });
    await waitFor(async () => (await channel.checkQueue(queue)).messageCount === 1, {
      description: 'the replayed message back in its work queue',
    });
    await channel.close();
  });
});
