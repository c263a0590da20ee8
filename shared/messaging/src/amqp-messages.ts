import { Channel, ConfirmChannel, Message, Options } from 'amqplib';
import { Headers } from './topology';

/** The broker confirmed the message but routed it nowhere (no such queue, no binding). */
export class UnroutableError extends Error {
  constructor(exchange: string, routingKey: string) {
    super(
      exchange === ''
        ? `the broker returned the message: there is no queue ${routingKey}`
        : `the broker returned the message: no queue is bound to ${exchange} for ${routingKey}`,
    );
    this.name = 'UnroutableError';
  }
}

/** No confirm arrived in time: the connection is presumed dead. */
export class ConfirmTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no confirm within ${timeoutMs} ms`);
    this.name = 'ConfirmTimeoutError';
  }
}

/**
 * Messages the broker returned on each channel and whose confirm has not been seen yet, by
 * `returnKey`. A return always arrives before the confirm of the same message, so the confirm
 * callback knows whether its message was routed. Counted, not a set: the same message may be
 * in flight twice.
 */
const returnsByChannel = new WeakMap<Channel, Map<string, number>>();

function returnKey(exchange: string, routingKey: string, messageId: unknown): string {
  return `${exchange}\u0000${routingKey}\u0000${typeof messageId === 'string' ? messageId : ''}`;
}

function returnsOf(channel: Channel): Map<string, number> {
  let returns = returnsByChannel.get(channel);
  if (!returns) {
    const counts = new Map<string, number>();
    channel.on('return', (message: Message) => {
      const key = returnKey(
        message.fields.exchange,
        message.fields.routingKey,
        message.properties.messageId,
      );
      counts.set(key, (counts.get(key) ?? 0) + 1);
    });
    returnsByChannel.set(channel, counts);
    returns = counts;
  }
  return returns;
}

function takeReturn(returns: Map<string, number>, key: string): boolean {
  const count = returns.get(key);
  if (count === undefined) return false;
  if (count > 1) returns.set(key, count - 1);
  else returns.delete(key);
  return true;
}

/**
 * Publishes with `mandatory` and resolves once the broker confirmed the message and routed it
 * to a queue. Rejects with `UnroutableError` when the broker returned it, with the broker's
 * error when it nacked it or the channel closed, and with `ConfirmTimeoutError` when
 * `timeoutMs` passes without a confirm. A message published to a queue by name (the default
 * exchange) is therefore never silently dropped because the queue is missing.
 */
export function publishConfirmed(
  channel: ConfirmChannel,
  exchange: string,
  routingKey: string,
  content: Buffer,
  options: Options.Publish,
  timeoutMs?: number,
): Promise<void> {
  const returns = returnsOf(channel);
  const key = returnKey(exchange, routingKey, options.messageId);
  return new Promise<void>((resolve, reject) => {
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => reject(new ConfirmTimeoutError(timeoutMs)), timeoutMs);
    try {
      channel.publish(exchange, routingKey, content, { ...options, mandatory: true }, (error) => {
        clearTimeout(timer);
        const returned = takeReturn(returns, key);
        if (error) reject(error);
        else if (returned) reject(new UnroutableError(exchange, routingKey));
        else resolve();
      });
    } catch (error) {
      // publish throws synchronously once the channel is closed.
      clearTimeout(timer);
      reject(error);
    }
  });
}

/** Headers set by one failure and meaningless for the next try (x-death is RabbitMQ's own trail). */
const FAILURE_HEADERS: readonly string[] = [
  'x-death',
  'x-first-death-exchange',
  'x-first-death-queue',
  'x-first-death-reason',
  'x-last-death-exchange',
  'x-last-death-queue',
  'x-last-death-reason',
  // Counted by quorum queues per delivery; a moved copy starts a new count.
  'x-delivery-count',
  Headers.error,
  Headers.attempts,
  Headers.failedAt,
  Headers.consumer,
  Headers.unavailableRetries,
];

export type HeaderValues = Record<string, unknown>;

/** The headers of `message` without the failure bookkeeping, plus `extra`. */
export function carriedHeaders(
  message: Message,
  extra: HeaderValues,
  drop: readonly string[] = [],
): HeaderValues {
  const headers: HeaderValues = {};
  for (const [key, value] of Object.entries(message.properties.headers ?? {})) {
    if (!FAILURE_HEADERS.includes(key) && !drop.includes(key)) headers[key] = value;
  }
  return { ...headers, ...extra };
}

/** The properties of `message` to keep when moving it to another queue. */
export function carriedProperties(
  message: Message,
  headers: HeaderValues,
  extra: Options.Publish = {},
): Options.Publish {
  const p = message.properties;
  return {
    persistent: true,
    contentType: p.contentType ?? 'application/json',
    messageId: p.messageId,
    type: p.type,
    timestamp: p.timestamp,
    appId: p.appId,
    correlationId: p.correlationId,
    headers,
    ...extra,
  };
}

/** A header as text (AMQP may hand strings back as Buffers), or null. */
export function headerText(message: Message, name: string): string | null {
  const value: unknown = message.properties.headers?.[name];
  if (value === undefined || value === null) return null;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return String(value);
}

export function headerNumber(message: Message, name: string): number | null {
  const text = headerText(message, name);
  if (text === null) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/**
 * A counter header (an attempt number, a number of retries): a positive integer, or null when
 * the header is absent or holds anything else. Headers come from outside (any publisher can
 * set them), so a 0, -1 or 1.5 must not reach the arithmetic that trusts them.
 */
export function headerCount(message: Message, name: string): number | null {
  const value = headerNumber(message, name);
  return value !== null && Number.isSafeInteger(value) && value >= 1 ? value : null;
}
