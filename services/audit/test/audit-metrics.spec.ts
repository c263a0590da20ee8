// The consumer counters of a fresh service: every series exists at 0, so the first parked
// message is an increase Prometheus can see rather than a series that appears at 1.
import type { Registry } from 'prom-client';
import { METRICS_REGISTRY } from '@servicedesk/platform';
import { metricSample, waitFor } from '@servicedesk/testing';
import { AUDIT_QUEUE, AuditServiceFixture, startAuditService } from './audit-service.fixture';

describe('audit service: consumer metrics', () => {
  let audit: AuditServiceFixture;

  beforeAll(async () => {
    audit = await startAuditService();
  });

  afterAll(() => audit?.close());

  /** A sample as /metrics serves it, read from the registry it serves (wherever it listens). */
  const sample = async (name: string, labels: Record<string, string>) =>
    metricSample(await audit.app.get<Registry>(METRICS_REGISTRY).metrics(), name, labels);
  const consumed = (outcome: string) =>
    sample('messaging_consumed_total', { queue: AUDIT_QUEUE, outcome });

  it('exports every outcome of its queue at 0 before any message, then counts the first parked one from 0 to 1', async () => {
    for (const outcome of ['processed', 'duplicate', 'retried', 'dead_lettered']) {
      expect({ outcome, value: await consumed(outcome) }).toEqual({ outcome, value: 0 });
    }
    expect(await sample('messaging_handler_duration_seconds_count', { queue: AUDIT_QUEUE })).toBe(
      0,
    );

    await audit.publishRaw('ticket.created', Buffer.from('{ not json'));

    await waitFor(async () => (await consumed('dead_lettered')) === 1, {
      description: 'the malformed message counted as dead_lettered',
    });
    expect((await audit.broker.checkQueue(`${AUDIT_QUEUE}.dlq`)).messageCount).toBe(1);
  });
});
