import { Inject, Injectable } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import { METRICS_REGISTRY, singleMetric } from '@servicedesk/platform';
import { NOTIFICATION_CHANNELS, NotificationChannel } from '../rules/categories';

/** sent: delivered; retry: a transient failure, tried again later; failed: given up. */
export const DELIVERY_OUTCOMES = ['sent', 'retry', 'failed'] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

/** `notifications_total{channel,outcome}` and `notification_sent_mark_failures_total`. */
@Injectable()
export class NotificationMetrics {
  private readonly total: Counter<'channel' | 'outcome'>;
  private readonly sentMarkFailures: Counter;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    this.total = singleMetric(
      registry,
      'notifications_total',
      () =>
        new Counter({
          name: 'notifications_total',
          help: 'Notification deliveries by channel and outcome (sent, retry, failed)',
          labelNames: ['channel', 'outcome'],
          registers: [registry],
        }),
    );
    // Every channel and outcome from start-up, so the first failure is an increase and a panel
    // of failures shows 0 rather than "No data".
    for (const channel of NOTIFICATION_CHANNELS) {
      for (const outcome of DELIVERY_OUTCOMES) this.total.inc({ channel, outcome }, 0);
    }
    // The database failing right after a send: past the email's lease, it is sent again.
    this.sentMarkFailures = singleMetric(
      registry,
      'notification_sent_mark_failures_total',
      () =>
        new Counter({
          name: 'notification_sent_mark_failures_total',
          help: 'Failed tries at marking an email SENT after the SMTP server accepted it (retried while its lease lasts)',
          registers: [registry],
        }),
    );
  }

  record(channel: NotificationChannel, outcome: DeliveryOutcome, count = 1): void {
    if (count > 0) this.total.inc({ channel, outcome }, count);
  }

  recordSentMarkFailure(): void {
    this.sentMarkFailures.inc();
  }
}
