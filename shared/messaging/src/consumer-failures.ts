import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { Logger, isConnectionError } from '@servicedesk/platform';
import { headerCount } from './amqp-messages';
import { backoffDelayMs } from './backoff';
import { ParsedMessage, logFields } from './consumer-batch';
import { ConsumerConnection, KeptUnacknowledged } from './consumer-connection';
import { moveToDeadLetters, moveToRetry } from './consumer-moves';
import { classifyFailure } from './errors';
import { ConsumeOutcome, MessagingMetrics } from './metrics';
import { ConsumerOptions } from './options';
import { Subscription } from './subscription';
import { Headers } from './topology';
import { delayLevels } from './topology-plan';
import { UnitOfWork } from './unit-of-work';

/** Where a failed message goes (a delay queue or the DLQ), and the counting of settled messages. */

export interface FailureDependencies {
  unitOfWork: UnitOfWork;
  logger: Logger;
  metrics: MessagingMetrics;
  options: ConsumerOptions;
  connection: Pick<ConsumerConnection, 'publisher' | 'reset'>;
  /** The declaration of the queue's topology on the current connection, if under way. */
  declared(queue: string): Promise<void> | undefined;
}

export class FailedMessages {
  /** Delay queues per subscription (see `delayLevels`). */
  private readonly delayQueues: number;

  constructor(private readonly deps: FailureDependencies) {
    this.delayQueues = delayLevels(deps.options);
  }

  /** Parks a body that is not a valid envelope, at once. */
  async parkMalformed(
    subscription: Subscription,
    message: ConsumeMessage,
    failure: { error: unknown; attempt: number; routingKey: string },
  ): Promise<void> {
    const { queue } = subscription;
    const { error, attempt, routingKey } = failure;
    this.deps.logger.error(
      {
        queue,
        messageId: message.properties.messageId,
        routingKey,
        outcome: 'dead_lettered',
        attempt,
        err: error,
      },
      'malformed message parked in the DLQ',
    );
    await this.move(queue, message, (publisher) =>
      moveToDeadLetters(publisher, queue, message, { error, attempts: attempt, routingKey }),
    );
  }

  /**
   * A failed message: retried without using an attempt while the database is unreachable
   * (`databaseDown`, probed when not given), retried with backoff while attempts remain and
   * the failure is transient, parked otherwise.
   */
  async fail(
    subscription: Subscription,
    parsed: ParsedMessage,
    error: unknown,
    durationMs: number,
    databaseDown?: boolean,
  ): Promise<void> {
    const { queue } = subscription;
    const { message, attempt, routingKey } = parsed;
    const { options, logger } = this.deps;
    const log = { ...logFields(queue, parsed), durationMs, err: error };
    const kind = classifyFailure(error);
    const unavailable =
      kind === 'transient' && (databaseDown ?? (await this.databaseUnavailable(error)));
    if (unavailable) {
      const retries = (headerCount(message, Headers.unavailableRetries) ?? 0) + 1;
      const delayMs = backoffDelayMs(retries, options.retry);
      logger.warn(
        { ...log, outcome: 'retried', delayMs, unavailableRetries: retries },
        'database unavailable; the message will be retried without using an attempt',
      );
      await this.move(queue, message, (publisher) =>
        moveToRetry(publisher, queue, message, {
          error,
          routingKey,
          delayMs,
          level: Math.min(retries, this.delayQueues),
          headers: { [Headers.attempt]: attempt, [Headers.unavailableRetries]: retries },
        }),
      );
    } else if (kind === 'transient' && attempt < options.maxAttempts) {
      const delayMs = backoffDelayMs(attempt, options.retry);
      logger.warn({ ...log, outcome: 'retried', delayMs }, 'handler failed; retrying later');
      await this.move(queue, message, (publisher) =>
        moveToRetry(publisher, queue, message, {
          error,
          routingKey,
          delayMs,
          level: attempt,
          headers: { [Headers.attempt]: attempt + 1 },
        }),
      );
    } else {
      logger.error(
        { ...log, outcome: 'dead_lettered', failure: kind },
        kind === 'permanent'
          ? 'handler failed permanently; parked in the DLQ'
          : 'handler out of attempts; parked in the DLQ',
      );
      await this.move(queue, message, (publisher) =>
        moveToDeadLetters(publisher, queue, message, { error, attempts: attempt, routingKey }),
      );
    }
  }

  /**
   * Whether a handler failure means the database cannot be reached: a connection error, and
   * the database does not answer a trivial query either (so a statement that fails on its own,
   * e.g. by timing out, still uses up the message's attempts).
   */
  async databaseUnavailable(error: unknown): Promise<boolean> {
    if (!isConnectionError(error)) return false;
    try {
      await this.deps.unitOfWork.dataSource.query('SELECT 1');
      return false;
    } catch {
      return true;
    }
  }

  /** Counts a message as settled: the library acks it once the handler call resolves. */
  settled(queue: string, outcome: ConsumeOutcome): void {
    this.deps.metrics.consumed.inc({ queue, outcome });
  }

  /** Moves the message on (retry or DLQ); if the move fails, the broker keeps it. */
  private async move(
    queue: string,
    message: ConsumeMessage,
    move: (publisher: ConfirmChannel) => Promise<ConsumeOutcome>,
  ): Promise<void> {
    let outcome: ConsumeOutcome;
    try {
      await this.deps.declared(queue);
      outcome = await move(this.deps.connection.publisher());
    } catch (error) {
      this.deps.logger.error(
        { err: error, messageId: message.properties.messageId },
        'cannot move a failed message; it stays unacknowledged',
      );
      // Without an ack the broker redelivers it once this connection is gone.
      this.deps.connection.reset(
        'publishing a failed message to its retry or dead-letter queue failed',
      );
      throw new KeptUnacknowledged();
    }
    this.settled(queue, outcome);
  }
}
