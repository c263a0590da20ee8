import { createTcpProxy, TcpProxy, waitFor } from '@servicedesk/testing';
import { EVENTS_EXCHANGE, EventHandler, buildEnvelope } from '@servicedesk/messaging';
import { aUserRegistered } from './support/events';
import { MessagingHarness, TEST_SCHEMA, TEST_SERVICE } from './support/messaging-harness';

const QUEUE = 'messaging-test.reconnect';

describe('consumer: connection loss', () => {
  let harness: MessagingHarness;
  let proxy: TcpProxy;

  beforeAll(async () => {
    harness = await MessagingHarness.create();
    const broker = new URL(harness.vhost.url);
    proxy = await createTcpProxy(broker.hostname, Number(broker.port || 5672));
  });

  afterAll(async () => {
    await harness.close();
    await proxy.close();
  });

  it('reconnects, re-attaches its consumer and processes what arrived meanwhile', async () => {
    const handler: EventHandler = {
      async handle(event, tx) {
        await tx.manager.query(
          `INSERT INTO ${TEST_SCHEMA}.effects (event_id, consumer) VALUES ($1, $2)`,
          [event.id, QUEUE],
        );
      },
    };
    const { consumer } = await harness.startConsumer(
      [{ queue: QUEUE, events: ['user.registered'], handler }],
      {
        rabbitmqUrl: proxy.urlFor(harness.vhost.url),
      },
    );
    expect(consumer.detachedQueues()).toEqual([]);

    proxy.cut();
    await waitFor(() => consumer.detachedQueues().length === 1, {
      description: 'the consumer to notice the loss',
    });
    expect(consumer.brokerConnected).toBe(false);

    const envelope = buildEnvelope(aUserRegistered(), { source: TEST_SERVICE, context: undefined });
    const publisher = await harness.broker.createConfirmChannel();
    publisher.publish(EVENTS_EXCHANGE, envelope.type, Buffer.from(JSON.stringify(envelope)), {
      persistent: true,
    });
    await publisher.waitForConfirms();
    await publisher.close();

    proxy.restore();

    await waitFor(() => consumer.detachedQueues().length === 0, {
      description: 'the consumer to be re-attached',
    });
    await waitFor(async () => (await harness.effectCount(envelope.id)) === 1, {
      description: 'the message sent during the outage to be processed',
    });
  });
});
