import { anEvent, waitFor } from '@servicedesk/testing';
import { deadLetterQueues } from '@servicedesk/messaging';
import { MessagingHarness, counterValue, effectRecorder } from './support/messaging-harness';

const QUEUE = 'messaging-test.database-outage';
const MAX_ATTEMPTS = 2;
const RETRY = { baseMs: 20, maxMs: 200, jitter: 0 };
/** Far more failures than the attempt budget allows (one retry): they must cost no attempt. */
const RETRIES_DURING_OUTAGE = MAX_ATTEMPTS + 4;

describe('consumer: database unreachable', () => {
  const harness = MessagingHarness.forTests();

  it('keeps retrying a message for as long as the database is away, then processes it once', async () => {
    const { proxy, dataSource } = await harness.databaseProxy();
    const { metrics } = await harness.startConsumer(
      [{ queue: QUEUE, events: ['user.registered'], handler: effectRecorder(QUEUE) }],
      { dataSource, maxAttempts: MAX_ATTEMPTS, retry: RETRY },
    );
    const outcome = (name: string) =>
      counterValue(metrics, 'messaging_consumed_total', { queue: QUEUE, outcome: name });

    proxy.cut();
    const envelope = anEvent('user.registered');
    await (await harness.eventPublisher()).publish(envelope);

    await waitFor(
      async () =>
        (await outcome('retried')) >= RETRIES_DURING_OUTAGE || (await outcome('dead_lettered')) > 0,
      { description: `${RETRIES_DURING_OUTAGE} retries while the database is unreachable` },
    );
    expect(await outcome('dead_lettered')).toBe(0);

    proxy.restore();

    await waitFor(async () => (await harness.effectCount(envelope.id)) === 1, {
      description: 'the message to be processed once the database is back',
    });
    expect(await outcome('processed')).toBe(1);
    expect(await outcome('dead_lettered')).toBe(0);
    const [dlq] = await deadLetterQueues(harness.broker, [QUEUE]);
    expect(dlq).toMatchObject({ exists: true, messageCount: 0 });
  });
});
