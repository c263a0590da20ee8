import { ConfirmChannel, Message, Options } from 'amqplib';
import { Headers } from './topology';

/** Publishes and resolves when the broker confirms it (rejects on nack or closed channel). */
export function publishConfirmed(
  channel: ConfirmChannel,
  exchange: string,
  routingKey: string,
  content: Buffer,
  options: Options.Publish,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    try {
      channel.publish(exchange, routingKey, content, options, (error) =>
        error ? reject(error) : resolve(),
      );
    } catch (error) {
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
  Headers.error,
  Headers.attempts,
  Headers.failedAt,
  Headers.consumer,
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
