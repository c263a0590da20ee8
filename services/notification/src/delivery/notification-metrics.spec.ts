import { Registry } from 'prom-client';
import { metricSample } from '@servicedesk/testing';
import { NotificationMetrics } from './notification-metrics';

describe('NotificationMetrics', () => {
  it('exports every channel and outcome at 0 before any delivery, then counts from 0', async () => {
    const registry = new Registry();
    const metrics = new NotificationMetrics(registry);
    const sample = async (channel: string, outcome: string) =>
      metricSample(await registry.metrics(), 'notifications_total', { channel, outcome });

    for (const channel of ['EMAIL', 'IN_APP']) {
      for (const outcome of ['sent', 'retry', 'failed']) {
        expect({ channel, outcome, value: await sample(channel, outcome) }).toEqual({
          channel,
          outcome,
          value: 0,
        });
      }
    }
    metrics.record('EMAIL', 'failed');
    expect(await sample('EMAIL', 'failed')).toBe(1);
  });
});
