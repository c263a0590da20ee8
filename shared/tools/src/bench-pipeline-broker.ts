import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { ChannelModel, ConfirmChannel, connect, Message } from 'amqplib';
import type { EventEnvelope } from '@servicedesk/contracts';
import { EVENTS_EXCHANGE, MessageHeaders } from '@servicedesk/messaging';

/**
 * The pipeline benchmark at the broker, as a peer of the services: a queue of its own bound to
 * the events exchange that notes when each event arrived, and a plain publisher-confirm loop
 * that publishes envelopes the way the outbox relay does, to compare the relay with.
 */

/** A queue name of the benchmark's own, never one of the platform's registry. */
function benchQueueName(purpose: string): string {
  return `servicedesk-bench.${purpose}.${randomUUID().slice(0, 8)}`;
}

/** One event as the benchmark's queue received it. */
export interface TappedEvent {
  eventId: string;
  aggregateId: string;
  /** The envelope's occurredAt, epoch ms. */
  occurredAt: number;
  /** When the message reached the benchmark (epoch ms). */
  arrivedAt: number;
}

/**
 * An exclusive, auto-delete classic queue bound to `routingKey`, consumed without acks: the
 * moment an event arrives here is the moment the relay's publish reached the broker's queues.
 */
export class EventTap {
  /** By aggregate id (a ticket's id for ticket.created). */
  readonly events = new Map<string, TappedEvent>();

  private constructor(private readonly connection: ChannelModel) {}

  static async open(rabbitmqUrl: string, routingKey: string): Promise<EventTap> {
    const connection = await connect(rabbitmqUrl);
    try {
      const channel = await connection.createChannel();
      const { queue } = await channel.assertQueue(benchQueueName('tap'), {
        exclusive: true,
        autoDelete: true,
        durable: false,
      });
      await channel.bindQueue(queue, EVENTS_EXCHANGE, routingKey);
      const tap = new EventTap(connection);
      await channel.consume(queue, (message) => message && tap.note(message), { noAck: true });
      return tap;
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  }

  private note(message: Message): void {
    const arrivedAt = Date.now();
    const envelope = JSON.parse(message.content.toString('utf8')) as EventEnvelope;
    this.events.set(envelope.aggregateId, {
      eventId: envelope.id,
      aggregateId: envelope.aggregateId,
      occurredAt: Date.parse(envelope.occurredAt),
      arrivedAt,
    });
  }

  /** Closing the connection deletes the queue. */
  close(): Promise<void> {
    return this.connection.close();
  }
}

/** A publish loop's run: from its first publish to its last confirm (epoch ms). */
export interface PublishRun {
  startedAt: number;
  endedAt: number;
  /** Messages the broker returned as unroutable. */
  returned: number;
}

/**
 * Publishes envelopes to the events exchange with the relay's properties (persistent,
 * messageId, type, contentType, timestamp, `mandatory`) on a confirm channel: `batchSize`
 * publishes, then waitForConfirms, as the relay publishes a round before it marks it.
 */
export class ConfirmedPublisher {
  private returned = 0;

  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: ConfirmChannel,
  ) {
    channel.on('return', () => {
      this.returned += 1;
    });
  }

  static async open(rabbitmqUrl: string): Promise<ConfirmedPublisher> {
    const connection = await connect(rabbitmqUrl);
    try {
      return new ConfirmedPublisher(connection, await connection.createConfirmChannel());
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  }

  /**
   * A queue of the benchmark's own bound to `routingKey`, so that every publish is routed
   * (and a `mandatory` one not returned) whatever the platform's queues; purged and deleted
   * by `removeQueue`.
   */
  async bindQueue(routingKey: string): Promise<string> {
    const { queue } = await this.channel.assertQueue(benchQueueName('sink'), {
      exclusive: true,
      durable: false,
    });
    await this.channel.bindQueue(queue, EVENTS_EXCHANGE, routingKey);
    return queue;
  }

  async removeQueue(queue: string): Promise<number> {
    const { messageCount } = await this.channel.purgeQueue(queue);
    await this.channel.deleteQueue(queue);
    return messageCount;
  }

  async publish(envelopes: readonly EventEnvelope[], batchSize: number): Promise<PublishRun> {
    const returnedBefore = this.returned;
    const startedAt = Date.now();
    for (let start = 0; start < envelopes.length; start += batchSize) {
      for (const envelope of envelopes.slice(start, start + batchSize)) {
        const accepted = this.channel.publish(
          EVENTS_EXCHANGE,
          envelope.type,
          Buffer.from(JSON.stringify(envelope)),
          {
            persistent: true,
            mandatory: true,
            messageId: envelope.id,
            type: envelope.type,
            contentType: 'application/json',
            timestamp: Math.floor(Date.parse(envelope.occurredAt) / 1000),
            appId: envelope.source,
            headers: { [MessageHeaders.correlationId]: envelope.correlationId },
          },
        );
        // The socket's buffer is full: wait until it drains, as a careful publisher does.
        if (!accepted) await new Promise((resolve) => this.channel.once('drain', resolve));
      }
      await this.channel.waitForConfirms();
    }
    return { startedAt, endedAt: Date.now(), returned: this.returned - returnedBefore };
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}

const run = promisify(execFile);

/**
 * The queues of `vhost` holding messages (ready or unacknowledged), as `name: count`: empty
 * once the platform has handled everything it was given. Asks rabbitmqctl, which sees every
 * queue, the platform's delay queues included.
 */
export async function busyQueues(vhost: string): Promise<string[]> {
  const { stdout } = await run(
    'rabbitmqctl',
    ['-q', 'list_queues', '-p', vhost, 'name', 'messages', '--formatter', 'json'],
    { timeout: 20_000 },
  );
  const queues = JSON.parse(stdout || '[]') as Array<{ name: string; messages: number }>;
  return queues.filter((queue) => queue.messages > 0).map((q) => `${q.name}: ${q.messages}`);
}
