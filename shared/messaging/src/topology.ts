/** The one topic exchange every event goes through; routing key = event type. */
export const EVENTS_EXCHANGE = 'servicedesk.events';

/**
 * Delay queue `level` of `queue`: where a message waits after its level-th (consecutive)
 * failure before going back to `queue`, so that all the messages in it have the same delay.
 */
export function retryQueueName(queue: string, level: number): string {
  return `${queue}.retry.${level}`;
}

export function deadLetterQueueName(queue: string): string {
  return `${queue}.dlq`;
}

/** Accepts a work queue or its DLQ name and returns the work queue. */
export function workQueueOf(queue: string): string {
  return queue.endsWith('.dlq') ? queue.slice(0, -'.dlq'.length) : queue;
}

/** The PostgreSQL NOTIFY channel the relay of `schema` listens on. */
export function outboxChannel(schema: string): string {
  return `outbox_${schema}`;
}

/** AMQP headers the consumers and the operations tools read and write. */
export const Headers = {
  correlationId: 'x-correlation-id',
  traceparent: 'traceparent',
  attempt: 'x-attempt',
  originalRoutingKey: 'x-original-routing-key',
  firstFailedAt: 'x-first-failed-at',
  lastError: 'x-last-error',
  error: 'x-error',
  attempts: 'x-attempts',
  failedAt: 'x-failed-at',
  consumer: 'x-consumer',
  /** Consecutive times the message found the database unavailable (those cost no attempt). */
  unavailableRetries: 'x-unavailable-retries',
} as const;
