import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import {
  EVENT_TYPES,
  SubscriptionRegistry,
  aggregateTypeOf,
  consumingServiceOf,
} from '@servicedesk/contracts';
import { Logger, singleMetric } from '@servicedesk/platform';
import { OutboxBacklog } from './outbox-operations';

/**
 * Reads the outbox backlog for the gauges of one registry when it is scraped. The three
 * gauges are collected concurrently and share one query. Kept per registry, because the
 * gauges are (a second MessagingMetrics on the same registry gets the same gauges).
 */
class BacklogReader {
  private source: (() => Promise<OutboxBacklog>) | undefined;
  private logger: Logger | undefined;
  private reading: Promise<OutboxBacklog | undefined> | undefined;

  observe(source: () => Promise<OutboxBacklog>, logger: Logger): void {
    this.source = source;
    this.logger = logger;
  }

  /** The backlog now, or undefined (the gauges keep their last values) when it cannot be read. */
  read(): Promise<OutboxBacklog | undefined> {
    const source = this.source;
    if (!source) return Promise.resolve(undefined);
    this.reading ??= source()
      .catch((error: unknown) => {
        this.logger?.warn({ err: error }, 'cannot read the outbox backlog for the metrics');
        return undefined;
      })
      .finally(() => {
        this.reading = undefined;
      });
    return this.reading;
  }
}

const backlogReaders = new WeakMap<Registry, BacklogReader>();

function backlogReaderOf(registry: Registry): BacklogReader {
  let reader = backlogReaders.get(registry);
  if (!reader) {
    reader = new BacklogReader();
    backlogReaders.set(registry, reader);
  }
  return reader;
}

/** The messaging metrics of one service, on that service's registry. */
export class MessagingMetrics {
  readonly published: Counter<'type'>;
  readonly consumed: Counter<'queue' | 'outcome'>;
  readonly handlerDuration: Histogram<'queue'>;
  readonly batchSize: Histogram<'queue'>;
  readonly outboxPending: Gauge;
  readonly outboxOldestPendingAge: Gauge;
  readonly outboxFailed: Gauge;
  private readonly backlog: BacklogReader;

  constructor(readonly registry: Registry = new Registry()) {
    const registers = [registry];
    const reader = backlogReaderOf(registry);
    this.backlog = reader;
    /** A gauge whose value is read from the backlog when the registry is scraped. */
    const backlogGauge = (name: string, help: string, value: (backlog: OutboxBacklog) => number) =>
      singleMetric(
        registry,
        name,
        () =>
          new Gauge({
            name,
            help,
            registers,
            async collect() {
              const current = await reader.read();
              if (current) this.set(value(current));
            },
          }),
      );

    this.published = singleMetric(
      registry,
      'messaging_published_total',
      () =>
        new Counter({
          name: 'messaging_published_total',
          help: 'Events published with a broker confirm',
          labelNames: ['type'],
          registers,
        }),
    );
    this.consumed = singleMetric(
      registry,
      'messaging_consumed_total',
      () =>
        new Counter({
          name: 'messaging_consumed_total',
          help: 'Messages taken off a work queue, by outcome (processed, duplicate, retried, dead_lettered)',
          labelNames: ['queue', 'outcome'],
          registers,
        }),
    );
    this.handlerDuration = singleMetric(
      registry,
      'messaging_handler_duration_seconds',
      () =>
        new Histogram({
          name: 'messaging_handler_duration_seconds',
          help: 'Time to handle one message, inbox and commit included',
          labelNames: ['queue'],
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
          registers,
        }),
    );
    this.batchSize = singleMetric(
      registry,
      'messaging_consumer_batch_size',
      () =>
        new Histogram({
          name: 'messaging_consumer_batch_size',
          help: 'Messages handed to a batch handler at once (batch consumers only)',
          labelNames: ['queue'],
          buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
          registers,
        }),
    );
    this.outboxPending = backlogGauge(
      'outbox_pending',
      'Outbox rows waiting to be published',
      (current) => current.pending,
    );
    this.outboxOldestPendingAge = backlogGauge(
      'outbox_oldest_pending_age_seconds',
      'Age of the oldest outbox row waiting to be published (0 when none)',
      (current) => current.oldestPendingAgeSeconds ?? 0,
    );
    this.outboxFailed = backlogGauge(
      'outbox_failed',
      'Outbox rows parked after too many failed publishes',
      (current) => current.failed,
    );
  }

  /**
   * Makes the outbox gauges read `source` (one cheap query) whenever the registry is scraped,
   * so keeping them current costs nothing between scrapes. A failed read is logged and leaves
   * the last values.
   */
  observeOutbox(source: () => Promise<OutboxBacklog>, logger: Logger): void {
    this.backlog.observe(source, logger);
  }

  /**
   * Exports every series `service` can produce at 0 from the start: a series first seen at 1
   * reads as no increase to `increase()` and `rate()` (the first dead-lettered message would
   * page nobody), and a panel on it shows "No data" instead of 0. `service` publishes the
   * events of its own aggregate and consumes its queues of `registry`.
   */
  startAtZero(service: string, registry: SubscriptionRegistry): void {
    for (const type of EVENT_TYPES) {
      if (aggregateTypeOf(type) === service) this.published.inc({ type }, 0);
    }
    for (const queue of Object.keys(registry)) {
      if (consumingServiceOf(queue) !== service) continue;
      for (const outcome of CONSUME_OUTCOMES) this.consumed.inc({ queue, outcome }, 0);
      this.handlerDuration.zero({ queue });
    }
  }
}

export const CONSUME_OUTCOMES = ['processed', 'duplicate', 'retried', 'dead_lettered'] as const;
export type ConsumeOutcome = (typeof CONSUME_OUTCOMES)[number];
