import type { BaseConfig } from '@servicedesk/platform';
import { BackoffPolicy } from './backoff';

export interface RelayOptions {
  /** Rows read per round; the relay keeps reading rounds until the outbox is drained. */
  batchSize: number;
  /** Safety net behind LISTEN/NOTIFY: how often the relay looks even without a notification. */
  pollIntervalMs: number;
  /** Publish attempts of one row before it is parked as FAILED for an operator. */
  maxAttempts: number;
  /** Delay before a row the broker refused (unroutable, nacked) is tried again. */
  retry: BackoffPolicy;
  /** Reconnection to RabbitMQ and to the PostgreSQL listener. */
  reconnect: BackoffPolicy;
  /** A publish without a confirm after this long counts as a lost connection. */
  confirmTimeoutMs: number;
  /** How long PUBLISHED rows are kept (for operators looking at recent traffic) before deletion. */
  publishedRetentionMs: number;
  /**
   * Fault-injection point: called once a round's confirms have all arrived and before the
   * rows are marked PUBLISHED. Lets a test stop the process exactly between the two.
   */
  onPublished?: (eventIds: readonly string[]) => void | Promise<void>;
}

export interface ConsumerOptions {
  /** Unacknowledged messages per queue (handlers of different aggregates run in parallel). */
  prefetch: number;
  /** Handler runs of one message, the first included, before it is parked in the DLQ. */
  maxAttempts: number;
  /** Delays between attempts, through the `<queue>.retry.<n>` delay queues. */
  retry: BackoffPolicy;
  /**
   * Deliveries of one message the broker allows (`x-delivery-limit` of the work queues) before
   * it dead-letters the message itself: the guard against a message that kills its consumer
   * every time, which never reaches a handler's failure path. A queue argument, so every
   * process must agree on it.
   */
  deliveryLimit: number;
  reconnect: BackoffPolicy;
  /** How long a graceful stop waits for in-flight handlers. */
  drainTimeoutMs: number;
  /** Messages a batch handler (`BatchEventHandler`) takes at once, in one transaction. */
  batchSize: number;
  /**
   * Batches of a batch queue handed over and not yet acked: one filling, one committing, and
   * committed ones whose after-commit work (emails) is under way or waiting its turn. The
   * queue's prefetch is this many batches, so stored effects run that far ahead of slow
   * outside ones; a crash or a stop past the drain timeout redelivers at most that many
   * (their inbox records make them duplicates, whose after-commit work is then finished).
   */
  batchesInFlight: number;
  /** A batch is handed over once no message came for this long, full or not. */
  batchWaitMs: number;
}

export const DEFAULT_RELAY_OPTIONS: RelayOptions = {
  batchSize: 100,
  pollIntervalMs: 5000,
  maxAttempts: 10,
  retry: { baseMs: 1000, maxMs: 5 * 60_000, jitter: 0.2 },
  reconnect: { baseMs: 200, maxMs: 30_000, jitter: 0.2 },
  confirmTimeoutMs: 10_000,
  publishedRetentionMs: 7 * 24 * 60 * 60_000,
};

export const DEFAULT_CONSUMER_OPTIONS: ConsumerOptions = {
  prefetch: 10,
  maxAttempts: 5,
  retry: { baseMs: 1000, maxMs: 60_000, jitter: 0.2 },
  // RabbitMQ 4's own default: far beyond the redeliveries that outages and restarts cause.
  deliveryLimit: 20,
  reconnect: { baseMs: 200, maxMs: 30_000, jitter: 0.2 },
  drainTimeoutMs: 10_000,
  batchSize: 200,
  batchesInFlight: 8,
  batchWaitMs: 20,
};

export type PartialRelayOptions = Partial<Omit<RelayOptions, 'retry' | 'reconnect'>> & {
  retry?: Partial<BackoffPolicy>;
  reconnect?: Partial<BackoffPolicy>;
};

export type PartialConsumerOptions = Partial<Omit<ConsumerOptions, 'retry' | 'reconnect'>> & {
  retry?: Partial<BackoffPolicy>;
  reconnect?: Partial<BackoffPolicy>;
};

export function relayOptions(overrides: PartialRelayOptions = {}): RelayOptions {
  const d = DEFAULT_RELAY_OPTIONS;
  return {
    ...d,
    ...overrides,
    retry: { ...d.retry, ...overrides.retry },
    reconnect: { ...d.reconnect, ...overrides.reconnect },
  };
}

export function consumerOptions(overrides: PartialConsumerOptions = {}): ConsumerOptions {
  const d = DEFAULT_CONSUMER_OPTIONS;
  return {
    ...d,
    ...overrides,
    retry: { ...d.retry, ...overrides.retry },
    reconnect: { ...d.reconnect, ...overrides.reconnect },
  };
}

/** The platform's consumer variables (CONSUMER_*). */
export type ConsumerConfig = Pick<
  BaseConfig,
  | 'CONSUMER_PREFETCH'
  | 'CONSUMER_MAX_ATTEMPTS'
  | 'CONSUMER_RETRY_BASE_MS'
  | 'CONSUMER_RETRY_MAX_MS'
  | 'CONSUMER_DELIVERY_LIMIT'
> &
  // Not part of the topology: `npm run migrate` does without them.
  Partial<Pick<BaseConfig, 'CONSUMER_BATCH_SIZE' | 'CONSUMER_BATCH_WAIT_MS'>>;

/**
 * The consumer options the configuration sets, read the same way by every service and by
 * `npm run migrate`: the topology they declare (delay queues, delivery limit) depends on them.
 */
export function configuredConsumerOptions(
  config: ConsumerConfig,
): PartialConsumerOptions & { retry: Partial<BackoffPolicy> } {
  return {
    prefetch: config.CONSUMER_PREFETCH,
    maxAttempts: config.CONSUMER_MAX_ATTEMPTS,
    deliveryLimit: config.CONSUMER_DELIVERY_LIMIT,
    ...(config.CONSUMER_BATCH_SIZE === undefined ? {} : { batchSize: config.CONSUMER_BATCH_SIZE }),
    ...(config.CONSUMER_BATCH_WAIT_MS === undefined
      ? {}
      : { batchWaitMs: config.CONSUMER_BATCH_WAIT_MS }),
    retry: { baseMs: config.CONSUMER_RETRY_BASE_MS, maxMs: config.CONSUMER_RETRY_MAX_MS },
  };
}
