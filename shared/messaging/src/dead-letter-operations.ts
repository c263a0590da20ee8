import { ChannelModel, Message } from 'amqplib';
import {
  carriedHeaders,
  carriedProperties,
  headerNumber,
  headerText,
  publishConfirmed,
} from './amqp-messages';
import { describeError } from './errors';
import { Headers, deadLetterQueueName, workQueueOf } from './topology';

/** The longest a peek waits for the DLQ to count the messages it gave back. */
const RETURN_WAIT_MS = 2000;

/** How many parked messages a replay moves when the operator does not say. */
export const DEFAULT_REPLAY_LIMIT = 100;

export interface DeadLetterQueueInfo {
  /** The work queue the messages came from. */
  queue: string;
  deadLetterQueue: string;
  messageCount: number;
  /** False when the queue was never declared (its consumer has not started yet). */
  exists: boolean;
}

export interface DeadLetter {
  messageId: string | null;
  /** The routing key (event type) the message was first published with. */
  routingKey: string | null;
  error: string | null;
  attempts: number | null;
  failedAt: string | null;
  consumer: string | null;
  /** The body: the parsed JSON when it is JSON, else the raw text (malformed messages). */
  envelope: unknown;
}

export interface ReplayResult {
  queue: string;
  replayed: number;
}

/** A replay stopped on a message it could not move; that message is still in the DLQ. */
export class ReplayError extends Error {
  constructor(
    readonly queue: string,
    readonly replayed: number,
    cause: unknown,
  ) {
    super(
      `replay of ${deadLetterQueueName(queue)} stopped after ${replayed} message(s): ${describeError(cause)}; ` +
        `the message stays in the dead-letter queue`,
      { cause },
    );
    this.name = 'ReplayError';
  }
}

/** The broker closed the channel with 404 NOT_FOUND: the queue does not exist. */
function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 404;
}

/**
 * Message counts of the DLQs of `queues` (work queue names, or DLQ names). A DLQ the broker
 * does not know is reported as not declared; any other failure (a lost connection, a refused
 * access) is thrown, not mistaken for a missing queue.
 */
export async function deadLetterQueues(
  connection: ChannelModel,
  queues: readonly string[],
): Promise<DeadLetterQueueInfo[]> {
  const result: DeadLetterQueueInfo[] = [];
  for (const name of queues) {
    const queue = workQueueOf(name);
    const dlq = deadLetterQueueName(queue);
    // A check of a missing queue closes the channel it ran on: one channel per check.
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    try {
      const { messageCount } = await channel.checkQueue(dlq);
      result.push({ queue, deadLetterQueue: dlq, messageCount, exists: true });
    } catch (error) {
      if (!isNotFound(error)) throw error;
      result.push({ queue, deadLetterQueue: dlq, messageCount: 0, exists: false });
    } finally {
      await channel.close().catch(() => undefined);
    }
  }
  return result;
}

/** RabbitMQ's record of the first time it dead-lettered the message (an array of tables). */
function firstDeath(message: Message): {
  reason?: unknown;
  queue?: unknown;
  'routing-keys'?: unknown;
} {
  const deaths: unknown = message.properties.headers?.['x-death'];
  return Array.isArray(deaths) && deaths.length > 0 ? deaths[deaths.length - 1] : {};
}

/**
 * Why a message is parked: the consumer's error, or the broker's reason when the broker
 * parked it itself (a work queue's delivery limit: its consumer kept dying on it).
 */
function parkingReason(message: Message): string | null {
  const error = headerText(message, Headers.error);
  if (error !== null) return error;
  const reason = firstDeath(message).reason;
  if (reason === 'delivery_limit')
    return 'delivered more times than the queue allows without an ack: its consumer may crash on it';
  return typeof reason === 'string' ? `dead-lettered by the broker: ${reason}` : null;
}

function parseBody(content: Buffer): unknown {
  const text = content.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Reads up to `limit` parked messages without removing them. AMQP 0-9-1 has no "browse":
 * the messages are fetched unacknowledged and given back. A quorum queue takes them back
 * asynchronously, so the peek returns once the DLQ counts them again (or after
 * RETURN_WAIT_MS): whoever counts or replays right after a peek finds them. The trade-off: while a peek runs (milliseconds) those messages are invisible to a
 * concurrent replay, and they come back flagged `redelivered`; a DLQ has no consumer, so
 * neither matters in practice.
 */
export async function peekDeadLetters(
  connection: ChannelModel,
  queue: string,
  limit = 10,
): Promise<DeadLetter[]> {
  const dlq = deadLetterQueueName(workQueueOf(queue));
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  const letters: DeadLetter[] = [];
  try {
    const { messageCount } = await channel.checkQueue(dlq);
    let last: Message | undefined;
    for (let i = 0; i < Math.min(limit, messageCount); i++) {
      const message = await channel.get(dlq, { noAck: false });
      if (!message) break;
      last = message;
      const death = firstDeath(message);
      letters.push({
        messageId: message.properties.messageId ?? null,
        routingKey:
          headerText(message, Headers.originalRoutingKey) ??
          (Array.isArray(death['routing-keys']) ? String(death['routing-keys'][0]) : null),
        error: parkingReason(message),
        attempts: headerNumber(message, Headers.attempts),
        failedAt: headerText(message, Headers.failedAt),
        consumer:
          headerText(message, Headers.consumer) ??
          (typeof death.queue === 'string' ? death.queue : null),
        envelope: parseBody(message.content),
      });
    }
    if (last) {
      channel.nack(last, true, true);
      const deadline = Date.now() + RETURN_WAIT_MS;
      while ((await channel.checkQueue(dlq)).messageCount < messageCount && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await channel.close().catch(() => undefined);
  }
  return letters;
}

/**
 * Moves up to `limit` parked messages back to their work queue, oldest first, with a fresh
 * attempt budget (the original routing key stays in `x-original-routing-key`). Each one is
 * acknowledged on the DLQ only after the broker confirmed its copy on the work queue, so a
 * crash in between duplicates a message (which the consumer's inbox absorbs) but never
 * loses one. Only the messages present when the replay starts are taken, so a message that
 * fails again at once is not replayed twice by the same call. If a message cannot be moved
 * (the work queue was deleted, the broker refused it), it is left in the DLQ and the replay
 * stops with a `ReplayError` saying how many were moved before.
 */
export async function replayDeadLetters(
  connection: ChannelModel,
  queue: string,
  limit = DEFAULT_REPLAY_LIMIT,
): Promise<ReplayResult> {
  const workQueue = workQueueOf(queue);
  const dlq = deadLetterQueueName(workQueue);
  const channel = await connection.createConfirmChannel();
  channel.on('error', () => undefined);
  let replayed = 0;
  try {
    const { messageCount } = await channel.checkQueue(dlq);
    for (let i = 0; i < Math.min(limit, messageCount); i++) {
      const message = await channel.get(dlq, { noAck: false });
      if (!message) break;
      const headers = carriedHeaders(message, {}, [
        Headers.attempt,
        Headers.firstFailedAt,
        Headers.lastError,
      ]);
      try {
        await publishConfirmed(
          channel,
          '',
          workQueue,
          message.content,
          carriedProperties(message, headers),
        );
      } catch (error) {
        try {
          channel.nack(message, false, true);
        } catch {
          // The channel is gone, and with it the fetched message: the broker requeues it.
        }
        throw new ReplayError(workQueue, replayed, error);
      }
      channel.ack(message);
      replayed += 1;
    }
  } finally {
    await channel.close().catch(() => undefined);
  }
  return { queue: workQueue, replayed };
}
