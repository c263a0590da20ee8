// Tickets resolved, for the dashboard's business row (created and SLA breaches are their events,
// counted by messaging_published_total). Exported at 0 from start-up, so the first one counts.
import { Inject, Injectable } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import { METRICS_REGISTRY, singleMetric } from '@servicedesk/platform';

/** `tickets_resolved_total`. */
@Injectable()
export class TicketMetrics {
  private readonly resolved: Counter;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    this.resolved = singleMetric(
      registry,
      'tickets_resolved_total',
      () =>
        new Counter({
          name: 'tickets_resolved_total',
          help: 'Tickets moved to RESOLVED or CLOSED from an open status (committed)',
          registers: [registry],
        }),
    );
    this.resolved.inc(0);
  }

  ticketResolved(): void {
    this.resolved.inc();
  }
}
