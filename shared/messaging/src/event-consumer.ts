import { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { EventEnvelope, parseEnvelope } from '@servicedesk/contracts';
import {
  Logger,
  inSpan,
  isConnectionError,
  logDurationMs,
  quoteIdentifier,
  runWithContext,
} from '@servicedesk/platform';
import {
  carriedHeaders,
  carriedProperties,
  headerCount,
  headerText,
  publishConfirmed,
} from './amqp-messages';
import { backoffDelayMs } from './backoff';
import { BrokerConnection } from './broker-connection';
import { classifyFailure, describeError } from './errors';
import { ConsumeOutcome, MessagingMetrics } from './metrics';
import { ConsumerOptions } from './options';
import { Subscription } from './subscription';
import { EVENTS_EXCHANGE, Headers, deadLetterQueueName, retryQueueName } from './topology';
import { declareTopology } from './topology-declaration';
import { delayLevels, planTopology } from './topology-plan';
import { UnitOfWork } from './unit-of-work';

export interface EventConsumerDependencies {
  service: string;
  rabbitmqUrl: string;
  unitOfWork: UnitOfWork;
  subscriptions: readonly Subscription[];
  logger: Logger;
  metrics: MessagingMetrics;
  options: ConsumerOptions;
}

const MAX_HEADER_ERROR_LENGTH = 1000;

interface ActiveConsumer {
  channel: Channel;
  consumerTag: string;
}

/**
 * Declares and consumes the queues of a service's subscriptions.
 *
 * Topology per subscription (planned in topology-plan.ts, like the whole platform's that the
 * relays declare): the quorum work queue `<queue>`, bound to the events exchange for each
 * event type; delay queues `<queue>.retry.<n>` that dead-letter back to `<queue>` through the
 * default exchange; and `<queue>.dlq`. Delay queue `n` holds the messages waiting
 * after their n-th failure, so every message in it has the same delay and a long delay never
 * holds a short one behind it (RabbitMQ expires messages only at the head of a queue). There
 * is one per attempt, and more if needed to reach `retry.maxMs` (see the database below).
 *
 * Per message: a body that is not a valid envelope is parked at once. Otherwise the inbox
 * row and the handler's effect are written in one transaction, the handler's `afterCommit`
 * (effects outside the database) runs after the commit, and the message is acked only after
 * both. A failed handler is retried with backoff through the delay queues
 * up to `maxAttempts` runs, unless the failure is permanent; then the message is parked
 * with the error, the attempt count and the original routing key. Moving a message to a
 * delay queue or the DLQ is confirmed by the broker (and routed: a missing queue is a failed
 * move) before the original is acked, so a crash duplicates at worst (absorbed by the inbox),
 * and nothing is ever requeued in a loop.
 *
 * The database being unreachable is no fault of the message: when a handler fails with a
 * connection error and a probe confirms that the database cannot be reached, the message
 * goes through the delay queues without using an attempt, with a backoff that keeps growing
 * up to `retry.maxMs`, for as long as the outage lasts. (The probe keeps a statement that
 * times out on its own, while the database answers, from retrying forever.)
 *
 * Within one process, messages of the same aggregate are handled one after the other in
 * delivery order; different aggregates are handled in parallel, up to `prefetch` per queue.
 * A message sent to a delay queue lets later messages of its aggregate overtake it: handlers
 * that care about order compare versions or timestamps from the payload.
 */
export class EventConsumer {
  private readonly broker: BrokerConnection;
  private publisher: ConfirmChannel | null = null;
  private readonly active = new Map<string, ActiveConsumer>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly aggregateTails = new Map<string, Promise<void>>();
  /** Delay queues per subscription (see `delayLevels`). */
  private readonly delayQueues: number;
  private stopping = false;

  constructor(private readonly deps: EventConsumerDependencies) {
    this.delayQueues = delayLevels(deps.options);
    this.broker = new BrokerConnection({
      url: deps.rabbitmqUrl,
      name: `${deps.service} consumers`,
      logger: deps.logger,
      reconnect: deps.options.reconnect,
      setup: (model) => this.attach(model),
      onDisconnect: () => {
        this.active.clear();
        this.publisher = null;
      },
    });
  }

  get brokerConnected(): boolean {
    return this.broker.connected;
  }

  get brokerStatus(): string {
    return this.broker.status;
  }

  /** Queues without an attached consumer (empty when all are consuming). */
  detachedQueues(): string[] {
    return this.deps.subscriptions.map((s) => s.queue).filter((queue) => !this.active.has(queue));
  }

  async start(): Promise<void> {
    this.stopping = false;
    await this.recordSubscriptions();
    if (this.deps.subscriptions.length === 0) return;
    await this.broker.start();
  }

  /** Stops taking messages, lets in-flight handlers finish (bounded), then closes the connection. */
  async stop(): Promise<void> {
    // No reconnection may attach consumers again while the in-flight handlers drain.
    this.stopping = true;
    await this.broker.stopReconnecting();
    const consumers = [...this.active.values()];
    this.active.clear();
    await Promise.all(
      consumers.map(({ channel, consumerTag }) =>
        channel.cancel(consumerTag).catch(() => undefined),
      ),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.deps.options.drainTimeoutMs);
    });
    const drained = await Promise.race([
      Promise.allSettled([...this.inFlight]).then(() => 'drained' as const),
      timeout,
    ]);
    clearTimeout(timer);
    if (drained === 'timeout') {
      this.deps.logger.warn(
        { inFlight: this.inFlight.size },
        'consumers: handlers still running at shutdown; their messages will be redelivered',
      );
    }
    // Closing each channel first flushes its acks: the connection's close frame could
    // otherwise overtake acks still queued on a channel, and those messages would come back.
    await Promise.all(consumers.map(({ channel }) => channel.close().catch(() => undefined)));
    await this.publisher?.close().catch(() => undefined);
    await this.broker.stop();
  }

  /**
   * The service records the queues it consumes in its own schema, so operator tools can find
   * every DLQ without a hand-kept list; a queue it no longer declares is forgotten (the schema
   * is the service's own, so every row in it is one of its queues).
   */
  private async recordSubscriptions(): Promise<void> {
    const { dataSource, options } = this.deps.unitOfWork;
    const table = `${quoteIdentifier(options.schema)}.messaging_subscriptions`;
    const queues = this.deps.subscriptions.map((subscription) => subscription.queue);
    await dataSource.transaction(async (manager) => {
      await manager.query(`DELETE FROM ${table} WHERE NOT (queue = ANY($1::text[]))`, [queues]);
      for (const subscription of this.deps.subscriptions) {
        await manager.query(
          `INSERT INTO ${table} (queue, events, updated_at)
           VALUES ($1, $2, now())
           ON CONFLICT (queue) DO UPDATE SET events = EXCLUDED.events, updated_at = now()`,
          [subscription.queue, [...subscription.events]],
        );
      }
    });
  }

  private async attach(model: ChannelModel): Promise<void> {
    const publisher = await model.createConfirmChannel();
    publisher.on('error', (error: Error) =>
      this.deps.logger.warn({ err: error }, 'consumer publish channel error'),
    );
    await publisher.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true });
    this.publisher = publisher;
    for (const subscription of this.deps.subscriptions) {
      // A connection made while stopping is closed at once by the broker connection.
      if (this.stopping) return;
      const channel = await model.createChannel();
      channel.on('error', (error: Error) =>
        this.deps.logger.warn({ err: error, queue: subscription.queue }, 'consumer channel error'),
      );
      await this.declare(channel, subscription);
      await channel.prefetch(this.deps.options.prefetch);
      const { consumerTag } = await channel.consume(subscription.queue, (message) => {
        if (message === null) {
          // The broker cancelled the consumer (queue deleted): start over with fresh topology.
          this.active.delete(subscription.queue);
          void this.broker.reset(`consumer of ${subscription.queue} cancelled by the broker`);
          return;
        }
        this.track(this.receive(subscription, channel, message));
      });
      this.active.set(subscription.queue, { channel, consumerTag });
      channel.once('close', () => {
        // A channel closed by the broker alone (e.g. a protocol error) would leave the queue
        // silently unconsumed: start over with a fresh connection.
        if (this.active.get(subscription.queue)?.channel !== channel) return;
        this.active.delete(subscription.queue);
        void this.broker.reset(`channel of ${subscription.queue} closed`);
      });
    }
  }

  private declare(channel: Channel, subscription: Subscription): Promise<void> {
    const { queue, events } = subscription;
    return declareTopology(channel, planTopology({ [queue]: events }, this.deps.options));
  }

  private track(work: Promise<void>): void {
    const tracked: Promise<void> = work
      .catch((error: unknown) =>
        // A bug of this class, not of the message: it stays unacknowledged until the channel goes.
        this.deps.logger.error({ err: error }, 'consumer failed to settle a message'),
      )
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private async receive(
    subscription: Subscription,
    channel: Channel,
    message: ConsumeMessage,
  ): Promise<void> {
    const attempt = headerCount(message, Headers.attempt) ?? 1;
    const routingKey = headerText(message, Headers.originalRoutingKey) ?? message.fields.routingKey;
    let envelope: EventEnvelope;
    try {
      envelope = parseEnvelope(JSON.parse(message.content.toString('utf8')));
    } catch (error) {
      this.deps.logger.error(
        {
          queue: subscription.queue,
          messageId: message.properties.messageId,
          routingKey,
          outcome: 'dead_lettered',
          attempt,
          err: error,
        },
        'malformed message parked in the DLQ',
      );
      await this.settle(subscription.queue, channel, message, () =>
        this.deadLetter(subscription, message, { error, attempts: attempt, routingKey }),
      );
      return;
    }
    // Same aggregate: one after the other, in delivery order.
    const key = `${envelope.aggregateType}:${envelope.aggregateId}`;
    const previous = (this.aggregateTails.get(key) ?? Promise.resolve()).catch(() => undefined);
    const current = previous.then(() =>
      this.handle(subscription, channel, message, envelope, attempt, routingKey),
    );
    this.aggregateTails.set(key, current);
    try {
      await current;
    } finally {
      if (this.aggregateTails.get(key) === current) this.aggregateTails.delete(key);
    }
  }

  private async handle(
    subscription: Subscription,
    channel: Channel,
    message: ConsumeMessage,
    envelope: EventEnvelope,
    attempt: number,
    routingKey: string,
  ): Promise<void> {
    const { queue } = subscription;
    const log = {
      queue,
      eventId: envelope.id,
      eventType: envelope.type,
      correlationId: envelope.correlationId,
      attempt,
    };
    const stopTimer = this.deps.metrics.handlerDuration.startTimer({ queue });
    try {
      // A child of the publish span whose context the message carries, retries included.
      const outcome = await inSpan(
        `process ${envelope.type}`,
        {
          kind: 'consumer',
          parentHeaders: message.properties.headers,
          attributes: {
            'messaging.system': 'rabbitmq',
            'messaging.operation.type': 'process',
            'messaging.destination.name': queue,
            'messaging.message.id': envelope.id,
            'messaging.rabbitmq.delivery.attempt': attempt,
          },
        },
        () =>
          runWithContext({ correlationId: envelope.correlationId, identity: null }, () =>
            this.process(subscription, envelope, attempt),
          ),
      );
      const durationMs = logDurationMs(stopTimer());
      this.ack(channel, message, queue, outcome);
      // The one line per consumed event (docs/logging.md); failures write theirs below.
      this.deps.logger.info({ ...log, outcome, durationMs }, 'event consumed');
    } catch (error) {
      const durationMs = logDurationMs(stopTimer());
      const kind = classifyFailure(error);
      if (kind === 'transient' && (await this.databaseUnavailable(error))) {
        const unavailable = (headerCount(message, Headers.unavailableRetries) ?? 0) + 1;
        const delayMs = backoffDelayMs(unavailable, this.deps.options.retry);
        this.deps.logger.warn(
          {
            ...log,
            outcome: 'retried',
            durationMs,
            err: error,
            delayMs,
            unavailableRetries: unavailable,
          },
          'database unavailable; the message will be retried without using an attempt',
        );
        await this.settle(queue, channel, message, () =>
          this.retry(subscription, message, {
            error,
            routingKey,
            delayMs,
            level: Math.min(unavailable, this.delayQueues),
            headers: { [Headers.attempt]: attempt, [Headers.unavailableRetries]: unavailable },
          }),
        );
      } else if (kind === 'transient' && attempt < this.deps.options.maxAttempts) {
        const delayMs = backoffDelayMs(attempt, this.deps.options.retry);
        this.deps.logger.warn(
          { ...log, outcome: 'retried', durationMs, err: error, delayMs },
          'handler failed; retrying later',
        );
        await this.settle(queue, channel, message, () =>
          this.retry(subscription, message, {
            error,
            routingKey,
            delayMs,
            level: attempt,
            headers: { [Headers.attempt]: attempt + 1 },
          }),
        );
      } else {
        this.deps.logger.error(
          { ...log, outcome: 'dead_lettered', durationMs, err: error, failure: kind },
          kind === 'permanent'
            ? 'handler failed permanently; parked in the DLQ'
            : 'handler out of attempts; parked in the DLQ',
        );
        await this.settle(queue, channel, message, () =>
          this.deadLetter(subscription, message, { error, attempts: attempt, routingKey }),
        );
      }
    }
  }

  /** The inbox record and the handler's effect in one transaction, then its `afterCommit`. */
  private async process(
    subscription: Subscription,
    envelope: EventEnvelope,
    attempt: number,
  ): Promise<'processed' | 'duplicate'> {
    const { maxAttempts } = this.deps.options;
    const delivery = { attempt, maxAttempts, finalAttempt: attempt >= maxAttempts };
    const outcome = await this.deps.unitOfWork.run(async (tx) => {
      const inserted: unknown[] = await tx.manager.query(
        `INSERT INTO ${quoteIdentifier(this.deps.unitOfWork.options.schema)}.inbox (consumer, message_id, event_type)
         VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING message_id`,
        [subscription.queue, envelope.id, envelope.type],
      );
      if (inserted.length === 0) return 'duplicate' as const;
      await subscription.handler.handle(envelope, tx, delivery);
      return 'processed' as const;
    });
    await subscription.handler.afterCommit?.(envelope, delivery);
    return outcome;
  }

  /**
   * Whether a handler failure means the database cannot be reached: a connection error, and
   * the database does not answer a trivial query either (so a statement that fails on its own,
   * e.g. by timing out, still uses up the message's attempts).
   */
  private async databaseUnavailable(error: unknown): Promise<boolean> {
    if (!isConnectionError(error)) return false;
    try {
      await this.deps.unitOfWork.dataSource.query('SELECT 1');
      return false;
    } catch {
      return true;
    }
  }

  /** Moves the message on (retry or DLQ), then acks it; if the move fails, the broker keeps it. */
  private async settle(
    queue: string,
    channel: Channel,
    message: ConsumeMessage,
    move: () => Promise<ConsumeOutcome>,
  ): Promise<void> {
    let outcome: ConsumeOutcome;
    try {
      outcome = await move();
    } catch (error) {
      this.deps.logger.error(
        { err: error, messageId: message.properties.messageId },
        'cannot move a failed message; it stays unacknowledged',
      );
      // Without an ack the broker redelivers it once this connection is gone.
      void this.broker.reset(
        'publishing a failed message to its retry or dead-letter queue failed',
      );
      return;
    }
    this.ack(channel, message, queue, outcome);
  }

  private ack(
    channel: Channel,
    message: ConsumeMessage,
    queue: string,
    outcome: ConsumeOutcome,
  ): void {
    try {
      channel.ack(message);
      this.deps.metrics.consumed.inc({ queue, outcome });
    } catch (error) {
      // The channel died after the work was done: the redelivery will be a duplicate.
      this.deps.logger.warn(
        { err: error, messageId: message.properties.messageId },
        'ack failed; expecting a redelivery',
      );
    }
  }

  /**
   * Sends the message to delay queue `level`, from which it returns to its queue after
   * `delayMs`, carrying `headers` (its next attempt number) on top of the failure trail.
   */
  private async retry(
    subscription: Subscription,
    message: ConsumeMessage,
    failure: {
      error: unknown;
      routingKey: string;
      delayMs: number;
      level: number;
      headers: Record<string, number>;
    },
  ): Promise<ConsumeOutcome> {
    const publisher = this.requirePublisher();
    const headers = carriedHeaders(message, {
      ...failure.headers,
      [Headers.originalRoutingKey]: failure.routingKey,
      [Headers.firstFailedAt]:
        headerText(message, Headers.firstFailedAt) ?? new Date().toISOString(),
      [Headers.lastError]: truncate(describeError(failure.error)),
    });
    await publishConfirmed(
      publisher,
      '',
      retryQueueName(subscription.queue, failure.level),
      message.content,
      carriedProperties(message, headers, { expiration: String(failure.delayMs) }),
    );
    return 'retried';
  }

  private async deadLetter(
    subscription: Subscription,
    message: ConsumeMessage,
    failure: { error: unknown; attempts: number; routingKey: string },
  ): Promise<ConsumeOutcome> {
    const publisher = this.requirePublisher();
    const headers = carriedHeaders(message, {
      [Headers.error]: truncate(describeError(failure.error)),
      [Headers.attempts]: failure.attempts,
      [Headers.originalRoutingKey]: failure.routingKey,
      [Headers.failedAt]: new Date().toISOString(),
      [Headers.consumer]: subscription.queue,
    });
    await publishConfirmed(
      publisher,
      '',
      deadLetterQueueName(subscription.queue),
      message.content,
      carriedProperties(message, headers),
    );
    return 'dead_lettered';
  }

  private requirePublisher(): ConfirmChannel {
    if (!this.publisher) throw new Error('no broker connection to move the message');
    return this.publisher;
  }
}

function truncate(text: string): string {
  return text.length > MAX_HEADER_ERROR_LENGTH
    ? `${text.slice(0, MAX_HEADER_ERROR_LENGTH)}…`
    : text;
}
