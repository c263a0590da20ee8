import { Inject, Injectable } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import { METRICS_REGISTRY, singleMetric } from '@servicedesk/platform';
import type { NotificationChannel } from '../rules/categories';

/** sent: delivered; retry: a transient failure, tried again later; failed: given up. */
export type DeliveryOutcome = 'sent' | 'retry' | 'failed';

/** `notifications_total{channel,outcome}` on the app's registry. */
@Injectable()
export class NotificationMetrics {
  private readonly total: Counter<'channel' | 'outcome'>;

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
  }

  record(channel: NotificationChannel, outcome: DeliveryOutcome, count = 1): void {
    if (count > 0) this.total.inc({ channel, outcome }, count);
  }
}
