import { Counter, Gauge, Histogram, Registry } from 'prom-client';

function getOrCreate<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

/** The messaging metrics of one service, on that service's registry. */
export class MessagingMetrics {
  readonly published: Counter<'type'>;
  readonly consumed: Counter<'queue' | 'outcome'>;
  readonly handlerDuration: Histogram<'queue'>;
  readonly outboxPending: Gauge;
  readonly outboxOldestPendingAge: Gauge;
  readonly outboxFailed: Gauge;

  constructor(readonly registry: Registry = new Registry()) {
    const registers = [registry];
    this.published = getOrCreate(
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
    this.consumed = getOrCreate(
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
    this.handlerDuration = getOrCreate(
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
    this.outboxPending = getOrCreate(
      registry,
      'outbox_pending',
      () =>
        new Gauge({
          name: 'outbox_pending',
          help: 'Outbox rows waiting to be published',
          registers,
        }),
    );
    this.outboxOldestPendingAge = getOrCreate(
      registry,
      'outbox_oldest_pending_age_seconds',
      () =>
        new Gauge({
          name: 'outbox_oldest_pending_age_seconds',
          help: 'Age of the oldest outbox row waiting to be published (0 when none)',
          registers,
        }),
    );
    this.outboxFailed = getOrCreate(
      registry,
      'outbox_failed',
      () =>
        new Gauge({
          name: 'outbox_failed',
          help: 'Outbox rows parked after too many failed publishes',
          registers,
        }),
    );
  }
}

export type ConsumeOutcome = 'processed' | 'duplicate' | 'retried' | 'dead_lettered';
