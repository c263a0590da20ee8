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
 * - the after-commit work: `afterCommitBatch` once for every message of the batch when the
 *   handler has it, else `afterCommit` per event; a message whose work failed is retried or
 *   parked, the others settled;
 * - the library acks the batch when we resolve, after both;
 * - traces: see consumer-batch-trace.ts (`Delivery.within` runs work in an event's trace).
 * If the transaction fails, nothing of it stays: when the database is unreachable every
 * message is retried without using an attempt; otherwise each message goes through the
 * per-message path alone, one after the other, so one bad message is classified, retried or
 * parked alone while the others still go through.
 *
 * The transactions of a queue's batches run one after the other, in delivery order, so
 * aggregate order holds across batches too; so do their after-commit phases. The two are
 * pipelined: a batch is committed while the previous one's after-commit work (emails) is
 * still under way, so stored effects do not wait on slow outside ones. What is in flight is
 * bounded by the queue's prefetch (`batchesInFlight` batches). A batch handled message by
 * message (rolled back) runs its messages' `afterCommit` after the previous batch's
 * after-commit phase, and holds back the next transactions meanwhile.
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
  /** Which delivery of the message `attempt` is (the batch runs its work in the event's context). */
  delivery(attempt: number): Omit<Delivery, 'within'>;
}

export interface BatchDependencies {
  unitOfWork: UnitOfWork;
  logger: Logger;
  metrics: MessagingMetrics;
  options: ConsumerOptions;
}

/** Runs `work` for one message; a `KeptUnacknowledged` it throws keeps that message with the broker. */
type Settle = (message: ConsumeMessage, work: () => Promise<void>) => Promise<void>;

/** A committed batch's after-commit phase, run when the previous batch's is over. */
type AfterCommit = () => Promise<void>;

export class BatchConsumption {
  /** Per queue, the last batch's transaction phase and after-commit phase (never rejecting). */
  private readonly commits = new Map<string, Promise<void>>();
  private readonly afterCommits = new Map<string, Promise<void>>();

  constructor(
    private readonly settlement: MessageSettlement,
    private readonly failures: FailedMessages,
    private readonly deps: BatchDependencies,
  ) {}

  /** Resolves when every message may be acked; else throws `KeptUnacknowledged` with those that may. */
  async consume(subscription: Subscription, messages: readonly ConsumeMessage[]): Promise<void> {
    const { queue } = subscription;
    const kept = new Set<ConsumeMessage>();
    const settle: Settle = async (message, work) => {
      try {
        await work();
      } catch (error) {
        if (!(error instanceof KeptUnacknowledged)) throw error;
        kept.add(message);
      }
    };
    const previousAfterCommit = this.afterCommits.get(queue) ?? Promise.resolve();
    const committed = chain(this.commits, queue, () =>
      this.commit(subscription, messages, settle, previousAfterCommit),
    );
    await chain(this.afterCommits, queue, async () => {
      const afterCommit = await committed;
      await afterCommit?.();
    });
    if (kept.size > 0) throw new KeptUnacknowledged(messages.filter((m) => !kept.has(m)));
  }

  /**
   * Parses the batch and runs its transaction; resolves with its after-commit phase, or with
   * nothing when no message is left for one (all malformed, or handled one by one).
   */
  private async commit(
    subscription: Subscription,
    messages: readonly ConsumeMessage[],
    settle: Settle,
    previousAfterCommit: Promise<void>,
  ): Promise<AfterCommit | undefined> {
    const valid: ParsedMessage[] = [];
    for (const message of messages) {
      await settle(message, async () => {
        const parsed = await this.settlement.parse(subscription, message);
        if (parsed) valid.push(parsed);
      });
    }
    if (valid.length === 0) return undefined;
    const { queue } = subscription;
    const handler = subscription.handler as BatchEventHandler;
    this.deps.metrics.batchSize.observe({ queue }, valid.length);
    const started = performance.now();
    const spans = new BatchTrace(queue, valid);
    const deliveries = valid.map((parsed, index) => ({
      ...this.settlement.delivery(parsed.attempt),
      within: <T>(work: () => Promise<T>) => spans.within(index, work),
    }));
    let outcomes: Array<'processed' | 'duplicate'>;
    try {
      outcomes = await spans.inBatch(() =>
        this.transaction(subscription, handler, valid, deliveries),
      );
    } catch (error) {
      spans.rolledBack(error);
      const elapsedMs = performance.now() - started;
      // Messages handled alone run their `afterCommit` too: not before the previous batch's.
      await previousAfterCommit;
      await this.fallBack(subscription, valid, error, elapsedMs, settle);
      return undefined;
    }
    const committedMs = performance.now() - started;
    return async () => {
      const afterCommitStarted = performance.now();
      const failures = await spans.inBatch(() => this.afterCommit(handler, valid, deliveries));
      const durationMs = Math.round(committedMs + performance.now() - afterCommitStarted);
      for (const [index, parsed] of valid.entries()) {
        const failure = failures.get(index);
        spans.endEvent(index, failure?.error);
        await settle(parsed.message, async () => {
          if (failure) {
            await this.failures.fail(subscription, parsed, failure.error, durationMs);
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
      spans.end();
    };
  }

  /**
   * The batch's after-commit work, for every message (inbox duplicates included): the
   * handler's batch form at once, else `afterCommit` per event in turn, each in its event's
   * context. Returns the failure of each event that failed, by its index in the batch.
   */
  private async afterCommit(
    handler: BatchEventHandler,
    valid: readonly ParsedMessage[],
    deliveries: readonly Delivery[],
  ): Promise<Map<number, { error: unknown }>> {
    const failures = new Map<number, { error: unknown }>();
    if (handler.afterCommitBatch) {
      try {
        const errors = await handler.afterCommitBatch(
          valid.map((parsed) => parsed.envelope),
          deliveries,
        );
        errors.forEach((error, index) => {
          if (error !== undefined) failures.set(index, { error });
        });
      } catch (error) {
        valid.forEach((_, index) => failures.set(index, { error }));
      }
      return failures;
    }
    for (const [index, parsed] of valid.entries()) {
      try {
        await deliveries[index].within(async () => {
          await handler.afterCommit?.(parsed.envelope, deliveries[index]);
        });
      } catch (error) {
        failures.set(index, { error });
      }
    }
    return failures;
  }

  /** The inbox rows of the whole batch in one statement, then the handler with the new events. */
  private transaction(
    subscription: Subscription,
    handler: BatchEventHandler,
    valid: readonly ParsedMessage[],
    deliveries: readonly Delivery[],
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
      const applied = [...valid.keys()].filter((index) => outcomes[index] === 'processed');
      if (applied.length > 0) {
        await handler.handleBatch(
          applied.map((index) => valid[index].envelope),
          tx,
          applied.map((index) => deliveries[index]),
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
    settle: Settle,
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

/**
 * Runs `work` after the last work chained for `queue` in `tails` has settled, and chains it
 * there in turn; the caller gets its outcome.
 */
function chain<T>(
  tails: Map<string, Promise<void>>,
  queue: string,
  work: () => Promise<T>,
): Promise<T> {
  const current = (tails.get(queue) ?? Promise.resolve()).then(work);
  const tail = current.then(
    () => undefined,
    () => undefined,
  );
  tails.set(queue, tail);
  void tail.then(() => {
    if (tails.get(queue) === tail) tails.delete(queue);
  });
  return current;
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
