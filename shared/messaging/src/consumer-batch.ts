import type { ConsumeMessage } from 'amqplib';
import { EventEnvelope } from '@servicedesk/contracts';
import { Logger, quoteIdentifier } from '@servicedesk/platform';
import { BatchTrace } from './consumer-batch-trace';
import { KeptUnacknowledged } from './consumer-connection';
import type { FailedMessages } from './consumer-failures';
import { classifyFailure } from './errors';
import { MessagingMetrics } from './metrics';
import { ConsumerOptions } from './options';
import { BatchEventHandler, Delivery, Subscription } from './subscription';
import { UnitOfWork } from './unit-of-work';

/**
 * Batch consumption, for subscriptions whose handler is a `BatchEventHandler` (the audit log
 * appends a whole batch under one chain lock). The library hands over up to `batchSize`
 * messages (or what arrived until none came for `batchWaitMs`); per batch:
 * - malformed bodies are parked one by one, as on the per-message path;
 * - one transaction: one multi-row inbox INSERT … ON CONFLICT DO NOTHING RETURNING, then
 *   `handleBatch` with the events that were not duplicates, in delivery order; commit;
 * - `afterCommit` per event, when the handler has one;
 * - the library acks the batch when we resolve, after the commit;
 * - traces: see consumer-batch-trace.ts.
 * If the transaction fails, nothing of it stays: when the database is unreachable every
 * message is retried without using an attempt; otherwise each message goes through the
 * per-message path alone, one after the other, so one bad message is classified, retried or
 * parked alone while the others still go through.
 * Batches of a queue are handled one after the other, so order holds across batches too.
 */

export interface ParsedMessage {
  message: ConsumeMessage;
  envelope: EventEnvelope;
  attempt: number;
  routingKey: string;
}

/** The per-message path the batch falls back on (the consumer's). */
export interface MessageSettlement {
  /** The envelope, or null once a malformed message is parked. */
  parse(subscription: Subscription, message: ConsumeMessage): Promise<ParsedMessage | null>;
  /** Handles one message alone, in its aggregate's order, through to retry or DLQ. */
  handleAlone(subscription: Subscription, parsed: ParsedMessage): Promise<void>;
  delivery(attempt: number): Delivery;
}

export interface BatchDependencies {
  unitOfWork: UnitOfWork;
  logger: Logger;
  metrics: MessagingMetrics;
  options: ConsumerOptions;
}

export class BatchConsumption {
  private readonly tails = new Map<string, Promise<void>>();

  constructor(
    private readonly settlement: MessageSettlement,
    private readonly failures: FailedMessages,
    private readonly deps: BatchDependencies,
  ) {}

  /** Resolves when every message may be acked; else throws `KeptUnacknowledged` with those that may. */
  async consume(subscription: Subscription, messages: readonly ConsumeMessage[]): Promise<void> {
    const { queue } = subscription;
    const previous = (this.tails.get(queue) ?? Promise.resolve()).catch(() => undefined);
    const current = previous.then(() => this.run(subscription, messages));
    this.tails.set(queue, current);
    try {
      await current;
    } finally {
      if (this.tails.get(queue) === current) this.tails.delete(queue);
    }
  }

  private async run(subscription: Subscription, messages: readonly ConsumeMessage[]) {
    const kept = new Set<ConsumeMessage>();
    const settle = async (message: ConsumeMessage, work: () => Promise<void>) => {
      try {
        await work();
      } catch (error) {
        if (!(error instanceof KeptUnacknowledged)) throw error;
        kept.add(message);
      }
    };
    const valid: ParsedMessage[] = [];
    for (const message of messages) {
      await settle(message, async () => {
        const parsed = await this.settlement.parse(subscription, message);
        if (parsed) valid.push(parsed);
      });
    }
    if (valid.length > 0) await this.apply(subscription, valid, settle);
    if (kept.size > 0) throw new KeptUnacknowledged(messages.filter((m) => !kept.has(m)));
  }

  private async apply(
    subscription: Subscription,
    valid: readonly ParsedMessage[],
    settle: (message: ConsumeMessage, work: () => Promise<void>) => Promise<void>,
  ): Promise<void> {
    const { queue } = subscription;
    const handler = subscription.handler as BatchEventHandler;
    this.deps.metrics.batchSize.observe({ queue }, valid.length);
    const started = performance.now();
    const spans = new BatchTrace(queue, valid);
    let outcomes: Array<'processed' | 'duplicate'>;
    try {
      outcomes = await spans.inBatch(() => this.transaction(subscription, handler, valid));
    } catch (error) {
      await this.fallBack(subscription, valid, error, performance.now() - started, settle);
      return;
    }
    const durationMs = Math.round(performance.now() - started);
    for (const [index, parsed] of valid.entries()) {
      await settle(parsed.message, async () => {
        try {
          await spans.inEvent(index, async () => {
            await handler.afterCommit?.(parsed.envelope, this.settlement.delivery(parsed.attempt));
          });
        } catch (error) {
          await this.failures.fail(subscription, parsed, error, durationMs);
          return;
        }
        this.deps.metrics.handlerDuration.observe({ queue }, durationMs / 1000);
        this.failures.settled(queue, outcomes[index]);
        // One line per consumed event, as on the per-message path (docs/logging.md).
        this.deps.logger.info(
          {
            ...logFields(queue, parsed),
            outcome: outcomes[index],
            durationMs,
            batchSize: valid.length,
          },
          'event consumed',
        );
      });
    }
  }

  /** The inbox rows of the whole batch in one statement, then the handler with the new events. */
  private transaction(
    subscription: Subscription,
    handler: BatchEventHandler,
    valid: readonly ParsedMessage[],
  ): Promise<Array<'processed' | 'duplicate'>> {
    const { unitOfWork } = this.deps;
    // A message delivered twice in one batch is applied once: its first delivery.
    const first = new Map<string, ParsedMessage>();
    for (const parsed of valid) {
      const id = parsed.envelope.id.toLowerCase();
      if (!first.has(id)) first.set(id, parsed);
    }
    const unique = [...first.values()];
    return unitOfWork.run(async (tx) => {
      const inserted: Array<{ message_id: string }> = await tx.manager.query(
        `INSERT INTO ${quoteIdentifier(unitOfWork.options.schema)}.inbox (consumer, message_id, event_type)
         SELECT $1, m.id, m.type FROM unnest($2::uuid[], $3::text[]) AS m(id, type)
         ON CONFLICT DO NOTHING RETURNING message_id`,
        [
          subscription.queue,
          unique.map((parsed) => parsed.envelope.id),
          unique.map((parsed) => parsed.envelope.type),
        ],
      );
      const fresh = new Set(inserted.map((row) => row.message_id.toLowerCase()));
      const outcomes = valid.map((parsed) => {
        const id = parsed.envelope.id.toLowerCase();
        return first.get(id) === parsed && fresh.has(id) ? 'processed' : 'duplicate';
      });
      const applied = valid.filter((_, index) => outcomes[index] === 'processed');
      if (applied.length > 0) {
        await handler.handleBatch(
          applied.map((parsed) => parsed.envelope),
          tx,
          applied.map((parsed) => this.settlement.delivery(parsed.attempt)),
        );
      }
      return outcomes;
    });
  }

  private async fallBack(
    subscription: Subscription,
    valid: readonly ParsedMessage[],
    error: unknown,
    elapsedMs: number,
    settle: (message: ConsumeMessage, work: () => Promise<void>) => Promise<void>,
  ): Promise<void> {
    const durationMs = Math.round(elapsedMs);
    if (
      classifyFailure(error) === 'transient' &&
      (await this.failures.databaseUnavailable(error))
    ) {
      // Trying each message alone would only fail the same way, one connection attempt each.
      for (const parsed of valid) {
        await settle(parsed.message, () =>
          this.failures.fail(subscription, parsed, error, durationMs, true),
        );
      }
      return;
    }
    this.deps.logger.warn(
      { queue: subscription.queue, err: error, batchSize: valid.length },
      'batch failed and was rolled back; handling its messages one by one',
    );
    // One after the other: a batch's worth of parallel transactions would drain the pool.
    for (const parsed of valid) {
      await settle(parsed.message, () => this.settlement.handleAlone(subscription, parsed));
    }
  }
}

/** The fields of every line about one message. */
export function logFields(queue: string, parsed: ParsedMessage) {
  const { envelope, attempt } = parsed;
  return {
    queue,
    eventId: envelope.id,
    eventType: envelope.type,
    correlationId: envelope.correlationId,
    attempt,
  };
}
