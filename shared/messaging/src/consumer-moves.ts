import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { carriedHeaders, carriedProperties, headerText, publishConfirmed } from './amqp-messages';
import { describeError } from './errors';
import { Headers, deadLetterQueueName, retryQueueName } from './topology';

/**
 * Moves a failed message to one of its delay queues or to its DLQ, confirmed and routed before
 * the caller acks the original: a crash in between duplicates at worst (the inbox absorbs it).
 * The library's own failure paths (nack, requeue) would lose the failure trail and loop.
 */

const MAX_HEADER_ERROR_LENGTH = 1000;

export interface RetryMove {
  error: unknown;
  routingKey: string;
  delayMs: number;
  /** The delay queue: `<queue>.retry.<level>`. */
  level: number;
  /** Its next attempt number (and outage count) on top of the failure trail. */
  headers: Record<string, number>;
}

export interface DeadLetterMove {
  error: unknown;
  attempts: number;
  routingKey: string;
}

/** Sends the message to delay queue `level`, from which it returns to its queue after `delayMs`. */
export async function moveToRetry(
  publisher: ConfirmChannel,
  queue: string,
  message: ConsumeMessage,
  move: RetryMove,
): Promise<'retried'> {
  const headers = carriedHeaders(message, {
    ...move.headers,
    [Headers.originalRoutingKey]: move.routingKey,
    [Headers.firstFailedAt]: headerText(message, Headers.firstFailedAt) ?? new Date().toISOString(),
    [Headers.lastError]: truncate(describeError(move.error)),
  });
  await publishConfirmed(
    publisher,
    '',
    retryQueueName(queue, move.level),
    message.content,
    carriedProperties(message, headers, { expiration: String(move.delayMs) }),
  );
  return 'retried';
}

/** Parks the message in `<queue>.dlq` with the error, the attempt count and its routing key. */
export async function moveToDeadLetters(
  publisher: ConfirmChannel,
  queue: string,
  message: ConsumeMessage,
  move: DeadLetterMove,
): Promise<'dead_lettered'> {
  const headers = carriedHeaders(message, {
    [Headers.error]: truncate(describeError(move.error)),
    [Headers.attempts]: move.attempts,
    [Headers.originalRoutingKey]: move.routingKey,
    [Headers.failedAt]: new Date().toISOString(),
    [Headers.consumer]: queue,
  });
  await publishConfirmed(
    publisher,
    '',
    deadLetterQueueName(queue),
    message.content,
    carriedProperties(message, headers),
  );
  return 'dead_lettered';
}

function truncate(text: string): string {
  return text.length > MAX_HEADER_ERROR_LENGTH
    ? `${text.slice(0, MAX_HEADER_ERROR_LENGTH)}…`
    : text;
}
