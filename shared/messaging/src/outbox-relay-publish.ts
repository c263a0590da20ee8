// Publishing one outbox row: its message, its publish span, and what became of it.
import { SpanStatusCode } from '@opentelemetry/api';
import { ConfirmChannel } from 'amqplib';
import { Logger, inSpan, injectTraceHeaders } from '@servicedesk/platform';
import { ConfirmTimeoutError, UnroutableError, publishConfirmed } from './amqp-messages';
import { describeError } from './errors';
import { OutboxRow } from './outbox-relay-rows';
import { EVENTS_EXCHANGE, Headers } from './topology';

/**
 * What became of one row. `refused`: the broker returned or nacked it (the row's fault, it
 * costs an attempt). `lost`: the connection went away or stayed silent (not the row's fault).
 * `held`: not published, because an earlier row of its aggregate was not or publishing stopped.
 */
export type PublishOutcome =
  | { kind: 'published' }
  | { kind: 'refused'; error: string }
  | { kind: 'lost'; error: string }
  | { kind: 'held' };

export interface RowPublisher {
  channel: ConfirmChannel;
  service: string;
  logger: Logger;
  confirmTimeoutMs: number;
  /** Whether `channel` is still the relay's: a nack on a replaced channel is its loss. */
  channelIsCurrent(): boolean;
}

/**
 * Publishes `row` with confirms and `mandatory`, in a `publish` span in the trace of the
 * request that wrote the row (consumers continue it). Never rejects.
 */
export function publishOutboxRow(publisher: RowPublisher, row: OutboxRow): Promise<PublishOutcome> {
  return inSpan(
    `publish ${row.event_type}`,
    {
      kind: 'producer',
      parentHeaders: row.headers,
      attributes: {
        'messaging.system': 'rabbitmq',
        'messaging.operation.type': 'publish',
        'messaging.destination.name': EVENTS_EXCHANGE,
        'messaging.rabbitmq.destination.routing_key': row.event_type,
        'messaging.message.id': row.id,
      },
    },
    async (span) => {
      const outcome = await publishRow(publisher, row);
      if (outcome.kind === 'refused' || outcome.kind === 'lost')
        span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error });
      return outcome;
    },
  ).catch((error: unknown): PublishOutcome => ({ kind: 'lost', error: describeError(error) }));
}

async function publishRow(publisher: RowPublisher, row: OutboxRow): Promise<PublishOutcome> {
  const { channel } = publisher;
  const occurredAt = Date.parse(String(row.occurred_at));
  const correlationId = row.correlation_id ?? '';
  try {
    await publishConfirmed(
      channel,
      EVENTS_EXCHANGE,
      row.event_type,
      Buffer.from(row.body),
      {
        persistent: true,
        messageId: row.id,
        type: row.event_type,
        contentType: 'application/json',
        timestamp: Math.floor((Number.isNaN(occurredAt) ? Date.now() : occurredAt) / 1000),
        appId: publisher.service,
        // The publish span's context when tracing runs (consumers become its children).
        headers: {
          ...row.headers,
          ...injectTraceHeaders(),
          [Headers.correlationId]: correlationId,
        },
      },
      publisher.confirmTimeoutMs,
    );
  } catch (error) {
    if (error instanceof UnroutableError) {
      return {
        kind: 'refused',
        error: `unroutable: no queue is bound to ${EVENTS_EXCHANGE} for ${row.event_type}`,
      };
    }
    // A nack on a channel that is still ours is the broker refusing the message; anything
    // else (silence, a closed channel) is the connection going away.
    if (
      error instanceof ConfirmTimeoutError ||
      !publisher.channelIsCurrent() ||
      /closed/i.test(describeError(error))
    ) {
      return { kind: 'lost', error: describeError(error) };
    }
    return { kind: 'refused', error: `broker refused the message: ${describeError(error)}` };
  }
  publisher.logger.debug(
    { eventId: row.id, eventType: row.event_type, correlationId },
    'event published',
  );
  return { kind: 'published' };
}
