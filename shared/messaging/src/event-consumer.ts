import { context } from '@opentelemetry/api';
import type { Channel, ConsumeMessage } from 'amqplib';
import { EventEnvelope, parseEnvelope } from '@servicedesk/contracts';
import {
  Logger,
  currentContext,
  inSpan,
  logDurationMs,
  quoteIdentifier,
  runWithContext,
} from '@servicedesk/platform';
import { headerCount, headerText } from './amqp-messages';
import { BatchConsumption, MessageSettlement, ParsedMessage, logFields } from './consumer-batch';
import { ConsumerConnection, KeptUnacknowledged, QueueSetup } from './consumer-connection';
import { FailedMessages } from './consumer-failures';
import { MessagingMetrics } from './metrics';
import { ConsumerOptions } from './options';
import { Delivery, Subscription, isBatchEventHandler } from './subscription';
import { Headers } from './topology';
import { declareTopology } from './topology-declaration';
import { planTopology } from './topology-plan';
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

/**
 * Declares and consumes the queues of a service's subscriptions.
 *
 * The connection, the channels with their prefetch, the consumers and their acks are
 * @golevelup/nestjs-rabbitmq's (consumer-connection.ts, with what it does not watch). What it
 * cannot express is ours, and lives here:
 *
 * Topology per subscription (planned in topology-plan.ts, like the whole platform's that the
 * relays declare): the quorum work queue `<queue>`, bound to the events exchange for each
 * event type; delay queues `<queue>.retry.<n>` that dead-letter back to `<queue>` through the
 * default exchange; and `<queue>.dlq`. Delay queue `n` holds the messages waiting
 * after their n-th failure, so every message in it has the same delay and a long delay never
 * holds a short one behind it (RabbitMQ expires messages only at the head of a queue). There
 * is one per attempt, and more if needed to reach `retry.maxMs` (see the database below).
 * The library's queue declaration knows none of this (nor the classic-to-quorum migration), so
 * it is ours, run on each connection before the consumer attaches.
 *
 * Per message: a body that is not a valid envelope is parked at once. Otherwise the inbox
 * row and the handler's effect are written in one transaction, the handler's `afterCommit`
 * (effects outside the database) runs after the commit, and the message is acked only after
 * both (the library acks when our handler resolves). A failed handler is retried with backoff
 * through the delay queues up to `maxAttempts` runs, unless the failure is permanent; then the
 * message is parked with the error, the attempt count and the original routing key. Moving a
 * message to a delay queue or the DLQ is confirmed by the broker (and routed: a missing queue
 * is a failed move) before the original is acked, so a crash duplicates at worst (absorbed by
 * the inbox), and nothing is ever requeued in a loop. (The library's error behaviours, nack
 * or requeue, would drop the failure trail or loop; our handlers never hand it an error.)
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
 *
 * A subscription whose handler is a `BatchEventHandler` is consumed in batches instead
 * (consumer-batch.ts).
 */
export class EventConsumer implements MessageSettlement {
  private readonly connection: ConsumerConnection;
  private readonly batches: BatchConsumption;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly aggregateTails = new Map<string, Promise<void>>();
  /** Per queue, the declaration of its topology on the current connection. */
  private readonly declared = new Map<string, Promise<void>>();
  private readonly failures: FailedMessages;
  private stopping = false;

  constructor(private readonly deps: EventConsumerDependencies) {
    const { options } = deps;
    this.connection = new ConsumerConnection({
      url: deps.rabbitmqUrl,
      name: `${deps.service} consumers`,
      logger: deps.logger,
      reconnect: options.reconnect,
      queues: deps.subscriptions.map((subscription) => ({
        queue: subscription.queue,
        // A batch queue holds its batches in flight: one filling, one committing, the
        // committed ones whose after-commit work is under way or waiting (consumer-batch.ts).
        prefetch: this.batched(subscription)
          ? Math.max(options.prefetch, options.batchesInFlight * options.batchSize)
          : options.prefetch,
      })),
    });
    this.failures = new FailedMessages({
      ...deps,
      connection: this.connection,
      declared: (queue) => this.declared.get(queue),
    });
    this.batches = new BatchConsumption(this, this.failures, deps);
  }

  get brokerConnected(): boolean {
    return this.connection.connected;
  }

  get brokerStatus(): string {
    return this.connection.status;
  }

  /** Queues without an attached consumer (empty when all are consuming). */
  detachedQueues(): string[] {
    return this.deps.subscriptions
      .map((s) => s.queue)
      .filter((queue) => !this.connection.attached(queue));
  }

  /** Starts consuming; resolves once every consumer is attached or a first connection failed. */
  async start(): Promise<void> {
    this.stopping = false;
    await this.recordSubscriptions();
    if (this.deps.subscriptions.length === 0) return;
    await this.connection.start();
    const { batchSize, batchWaitMs } = this.deps.options;
    for (const subscription of this.deps.subscriptions) {
      const declaration = this.declaration(subscription);
      if (this.batched(subscription)) {
        this.connection.subscribeBatch(
          subscription.queue,
          declaration,
          (messages) => this.track(this.batches.consume(subscription, messages)),
          { size: batchSize, waitMs: batchWaitMs },
        );
      } else {
        this.connection.subscribe(subscription.queue, declaration, (message) =>
          this.track(this.receive(subscription, message)),
        );
      }
    }
    await this.connection.firstAttempt();
  }

  /** Stops taking messages, lets in-flight handlers finish (bounded), then closes the connection. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.connection.stopConsuming();
    const deadline = Date.now() + this.deps.options.drainTimeoutMs;
    const batchWaitMs = this.deps.subscriptions.some((s) => this.batched(s))
      ? this.deps.options.batchWaitMs
      : 0;
    // A batch still filling when the consumers were cancelled is handed over within the batch
    // wait; it is in flight from then on, so the drain looks again until nothing is left.
    while (Date.now() < deadline) {
      if (this.inFlight.size === 0) {
        if (batchWaitMs === 0) break;
        await settledWithin([], Math.min(batchWaitMs + 5, deadline - Date.now()));
        if (this.inFlight.size === 0) break;
      }
      await settledWithin([...this.inFlight], deadline - Date.now());
    }
    if (this.inFlight.size > 0) {
      this.deps.logger.warn(
        { inFlight: this.inFlight.size },
        'consumers: handlers still running at shutdown; their messages will be redelivered',
      );
    }
    // The library acks right after our handler resolves: let those acks be written before the
    // channels close (closing each channel first flushes them before the connection goes).
    await new Promise((resolve) => setImmediate(resolve));
    await this.connection.close();
  }

  private batched(subscription: Subscription): boolean {
    return isBatchEventHandler(subscription.handler) && this.deps.options.batchSize > 1;
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

  /** The subscription's topology, declared by us on each connection (see the class comment). */
  private declaration(subscription: Subscription): QueueSetup {
    const { queue, events } = subscription;
    const plan = planTopology({ [queue]: events }, this.deps.options);
    const work = plan.find((planned) => planned.role === 'work');
    return {
      arguments: work?.arguments ?? {},
      setup: (channel: Channel) => {
        const declaring = declareTopology(channel, plan);
        // Moves wait for it: a delay queue or DLQ not declared yet would be a failed move.
        this.declared.set(
          queue,
          declaring.catch(() => undefined),
        );
        return declaring;
      },
    };
  }

  /**
   * Settles the work of one handler call (a message, a batch): resolves when its messages may
   * be acked, throws `KeptUnacknowledged` for those that must stay with the broker.
   */
  private track(work: Promise<void>): Promise<void> {
    const tracked = work.catch((error: unknown) => {
      if (error instanceof KeptUnacknowledged) throw error;
      // A bug of this class, not of the message: it stays unacknowledged until the channel goes.
      this.deps.logger.error({ err: error }, 'consumer failed to settle a message');
      throw new KeptUnacknowledged();
    });
    const settled = tracked.catch(() => undefined).finally(() => this.inFlight.delete(settled));
    this.inFlight.add(settled);
    return tracked;
  }

  /** One message alone: parsed (or parked when malformed), then handled in its aggregate's order. */
  private async receive(subscription: Subscription, message: ConsumeMessage): Promise<void> {
    if (this.stopping && !this.connection.connected) throw new KeptUnacknowledged();
    const parsed = await this.parse(subscription, message);
    if (parsed) await this.handleAlone(subscription, parsed);
  }

  async parse(subscription: Subscription, message: ConsumeMessage): Promise<ParsedMessage | null> {
    const attempt = headerCount(message, Headers.attempt) ?? 1;
    const routingKey = headerText(message, Headers.originalRoutingKey) ?? message.fields.routingKey;
    try {
      const envelope = parseEnvelope(JSON.parse(message.content.toString('utf8')));
      return { message, envelope, attempt, routingKey };
    } catch (error) {
      await this.failures.parkMalformed(subscription, message, { error, attempt, routingKey });
      return null;
    }
  }

  async handleAlone(subscription: Subscription, parsed: ParsedMessage): Promise<void> {
    // Same aggregate: one after the other, in delivery order. The library hands every
    // delivery over at once (up to the prefetch) and knows nothing of aggregates.
    const { envelope } = parsed;
    const key = `${envelope.aggregateType}:${envelope.aggregateId}`;
    const previous = (this.aggregateTails.get(key) ?? Promise.resolve()).catch(() => undefined);
    const current = previous.then(() => this.handle(subscription, parsed));
    this.aggregateTails.set(key, current);
    try {
      await current;
    } finally {
      if (this.aggregateTails.get(key) === current) this.aggregateTails.delete(key);
    }
  }

  private async handle(subscription: Subscription, parsed: ParsedMessage): Promise<void> {
    const { queue } = subscription;
    const { message, envelope, attempt } = parsed;
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
      this.failures.settled(queue, outcome);
      // The one line per consumed event (docs/logging.md); failures write theirs in `fail`.
      this.deps.logger.info({ ...logFields(queue, parsed), outcome, durationMs }, 'event consumed');
    } catch (error) {
      await this.failures.fail(subscription, parsed, error, logDurationMs(stopTimer()));
    }
  }

  /**
   * The inbox record and the handler's effect in one transaction, then its `afterCommit`. The
   * library only acks once this resolves; it has no notion of a transaction or of an inbox.
   */
  private async process(
    subscription: Subscription,
    envelope: EventEnvelope,
    attempt: number,
  ): Promise<'processed' | 'duplicate'> {
    // `handle` and `afterCommit` run in the message's span and correlation context already;
    // work a handler hands to `within` from elsewhere is brought back into it.
    const active = context.active();
    const request = currentContext();
    const delivery: Delivery = {
      ...this.delivery(attempt),
      within: (work) =>
        context.with(active, () => (request ? runWithContext(request, work) : work())),
    };
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

  delivery(attempt: number): Omit<Delivery, 'within'> {
    const { maxAttempts } = this.deps.options;
    return { attempt, maxAttempts, finalAttempt: attempt >= maxAttempts };
  }
}

/** Waits for `work` to settle, or `ms` at most (the timer does not outlive the wait). */
async function settledWithin(work: readonly Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(ms, 0));
  });
  await Promise.race([work.length > 0 ? Promise.allSettled(work) : timeout, timeout]);
  clearTimeout(timer);
}
