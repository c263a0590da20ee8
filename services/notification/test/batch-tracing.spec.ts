import { randomBytes, randomUUID } from 'node:crypto';
import { EventEnvelope } from '@servicedesk/contracts';
import { EVENTS_EXCHANGE, MessageHeaders } from '@servicedesk/messaging';
import { anEvent, waitFor } from '@servicedesk/testing';
import { useInMemoryTracing } from '../../../shared/platform/test/in-memory-tracing';
import {
  NotificationServiceFixture,
  Person,
  startNotificationService,
} from './notification-service.fixture';

const exporter = useInMemoryTracing();

/**
 * Requests whose events the consumer takes in one batch: what is done for each event (its
 * notifications stored, its email sent, each `notification.sent` emitted) is in the trace of
 * the request that caused it, under that event's processing span, not in another request's.
 */
describe('notification service: the traces of a batch', () => {
  let service: NotificationServiceFixture;
  let people: Person[];

  beforeAll(async () => {
    service = await startNotificationService();
    people = [
      await service.registerPerson('CUSTOMER'),
      await service.registerPerson('CUSTOMER'),
      await service.registerPerson('CUSTOMER'),
    ];
  });

  afterAll(() => service?.close());

  /** A ticket of `person`, published as the child of a publish span of a trace of its own. */
  async function publishTraced(person: Person) {
    const ticketId = randomUUID();
    const event = anEvent('ticket.created', {
      aggregateId: ticketId,
      actor: { id: person.userId, role: 'CUSTOMER' },
      payload: { ticketId, requesterId: person.userId, title: `Traced ${ticketId.slice(0, 8)}` },
    });
    const traceId = randomBytes(16).toString('hex');
    const spanId = randomBytes(8).toString('hex');
    const { channel } = service.events;
    channel.publish(EVENTS_EXCHANGE, event.type, Buffer.from(JSON.stringify(event)), {
      messageId: event.id,
      type: event.type,
      contentType: 'application/json',
      persistent: true,
      headers: {
        [MessageHeaders.traceparent]: `00-${traceId}-${spanId}-01`,
        [MessageHeaders.correlationId]: event.correlationId,
      },
    });
    await channel.waitForConfirms();
    return { event, traceId, spanId };
  }

  it('stores, sends and reports each event’s notifications in its own request’s trace', async () => {
    // Published while the service is stopped, they wait in its queue and form one batch.
    await service.stop();
    const published: Array<{ event: EventEnvelope; traceId: string; spanId: string }> = [];
    for (const person of people) published.push(await publishTraced(person));
    await service.restart();
    for (const { event } of published) await service.waitForProcessed(event.id);

    const spans = await waitFor(
      () => {
        const finished = exporter.getFinishedSpans();
        const processed = finished.filter((span) => span.name === 'process ticket.created');
        return processed.length === published.length && finished;
      },
      { description: 'every event’s processing span ended' },
    );
    const { rows: reports } = await service.db.query<{
      envelope: EventEnvelope<'notification.sent'>;
      headers: Record<string, string>;
    }>(`SELECT envelope, headers FROM notification.outbox WHERE event_type = 'notification.sent'`);
    for (const { event, traceId, spanId } of published) {
      const [processed] = spans.filter(
        (span) => span.attributes['messaging.message.id'] === event.id,
      );
      expect(processed.spanContext().traceId).toBe(traceId);
      expect(processed.parentSpanContext?.spanId).toBe(spanId);
      expect(processed.attributes['messaging.batch.message_count']).toBe(published.length);
      const underIt = (span: (typeof spans)[number]) =>
        span.spanContext().traceId === traceId &&
        span.parentSpanContext?.spanId === processed.spanContext().spanId;

      const stored = spans.filter((span) => span.name === 'store notifications' && underIt(span));
      expect(stored).toHaveLength(1);
      expect(stored[0].attributes['notification.planned']).toBe(2);

      const [email, inApp] = await service.notificationsOf(event.id);
      expect([email.channel, inApp.channel]).toEqual(['EMAIL', 'IN_APP']);
      const sends = spans.filter(
        (span) => span.name === 'smtp send' && span.attributes['notification.id'] === email.id,
      );
      expect(sends).toHaveLength(1);
      expect(underIt(sends[0])).toBe(true);

      for (const notification of [email, inApp]) {
        const [report] = reports.filter(
          (row) => row.envelope.payload.notificationId === notification.id,
        );
        expect(report.envelope.correlationId).toBe(event.correlationId);
        expect(report.headers[MessageHeaders.traceparent]).toBe(
          `00-${traceId}-${processed.spanContext().spanId}-01`,
        );
      }
    }
  });
});
