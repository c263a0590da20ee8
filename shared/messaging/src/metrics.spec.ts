import { Registry } from 'prom-client';
import { SUBSCRIPTIONS } from '@servicedesk/contracts';
import { metricSample } from '@servicedesk/testing';
import { MessagingMetrics } from './metrics';

describe('MessagingMetrics.startAtZero', () => {
  async function exposition(service: string): Promise<string> {
    const metrics = new MessagingMetrics(new Registry());
    metrics.startAtZero(service, SUBSCRIPTIONS);
    return metrics.registry.metrics();
  }

  it("exports the service's own event types as published, at 0, and no other service's", async () => {
    const text = await exposition('ticket');
    expect(metricSample(text, 'messaging_published_total', { type: 'ticket.created' })).toBe(0);
    expect(metricSample(text, 'messaging_published_total', { type: 'ticket.sla_breached' })).toBe(
      0,
    );
    expect(
      metricSample(text, 'messaging_published_total', { type: 'user.registered' }),
    ).toBeUndefined();
  });

  it("exports every outcome of the service's queues at 0, and no other service's queue", async () => {
    const text = await exposition('appointment');
    for (const queue of ['appointment.directory', 'appointment.erasure']) {
      for (const outcome of ['processed', 'duplicate', 'retried', 'dead_lettered']) {
        expect(metricSample(text, 'messaging_consumed_total', { queue, outcome })).toBe(0);
      }
      expect(metricSample(text, 'messaging_handler_duration_seconds_count', { queue })).toBe(0);
    }
    expect(
      metricSample(text, 'messaging_consumed_total', { queue: 'audit.events' }),
    ).toBeUndefined();
  });
});
