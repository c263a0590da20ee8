import { randomBytes } from 'node:crypto';
import { SpanKind, context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { tracing } from '@opentelemetry/sdk-node';
import { EventEnvelope, EventPayload } from '@servicedesk/contracts';
import { inSpan } from '@servicedesk/platform';
import { anEvent, waitFor } from '@servicedesk/testing';
import {
  BatchEventHandler,
  Delivery,
  EVENTS_EXCHANGE,
  Tx,
  consumerOptions,
  declareTopology,
  planTopology,
} from '@servicedesk/messaging';
import { MessagingHarness, TEST_SCHEMA, recordEffect } from './support/messaging-harness';

const QUEUE = 'messaging-test.batch-tracing';
/** A queue whose handler works for each event in its own context (`Delivery.within`). */
const WITHIN_QUEUE = 'messaging-test.batch-tracing-within';
const OPTIONS = { batchSize: 10, batchWaitMs: 20 };

/** What the SDK installs, with spans kept in memory instead of exported. */
const exporter = new tracing.InMemorySpanExporter();
const provider = new tracing.BasicTracerProvider({
  spanProcessors: [new tracing.SimpleSpanProcessor(exporter)],
});

class Recorder implements BatchEventHandler {
  async handleBatch(events: readonly EventEnvelope[], tx: Tx): Promise<void> {
    for (const event of events) await recordEffect(tx.manager, event.id, QUEUE);
  }
  handle(event: EventEnvelope, tx: Tx): Promise<void> {
    return recordEffect(tx.manager, event.id, QUEUE);
  }
}

/**
 * In `handleBatch`, one statement for the whole batch, then for each event in its own context
 * a span and an event emitted (all issued at once); after the commit, a span per event.
 */
class WorkerPerEvent implements BatchEventHandler {
  async handleBatch(
    events: readonly EventEnvelope[],
    tx: Tx,
    deliveries: readonly Delivery[],
  ): Promise<void> {
    for (const event of events) await recordEffect(tx.manager, event.id, WITHIN_QUEUE);
    await Promise.all(
      events.map((event, index) =>
        deliveries[index].within(async () => {
          await inSpan('apply', { attributes: { 'test.event': event.id } }, async () => undefined);
          await tx.emit({
            type: 'user.registered',
            aggregateId: event.aggregateId,
            // This queue takes user.registered only.
            payload: event.payload as EventPayload<'user.registered'>,
          });
        }),
      ),
    );
  }

  handle(event: EventEnvelope, tx: Tx): Promise<void> {
    return recordEffect(tx.manager, event.id, WITHIN_QUEUE);
  }

  async afterCommitBatch(
    events: readonly EventEnvelope[],
    deliveries: readonly Delivery[],
  ): Promise<undefined[]> {
    return Promise.all(
      events.map((event, index) =>
        deliveries[index].within(() =>
          inSpan('after commit', { attributes: { 'test.event': event.id } }, async () => undefined),
        ),
      ),
    );
  }
}

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
});

afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});

describe('consumer: batch traces', () => {
  const harness = MessagingHarness.forTests();

  async function declared(queue = QUEUE): Promise<void> {
    const channel = await harness.broker.createChannel();
    await declareTopology(
      channel,
      planTopology({ [queue]: ['user.registered'] }, consumerOptions(OPTIONS)),
    );
    await channel.close();
  }

  /** Publishes `count` events, each as the child of a publish span of its own trace. */
  async function publishTraced(count: number) {
    const channel = await harness.broker.createConfirmChannel();
    const published = Array.from({ length: count }, () => ({
      event: anEvent('user.registered'),
      traceId: randomBytes(16).toString('hex'),
      spanId: randomBytes(8).toString('hex'),
    }));
    for (const { event, traceId, spanId } of published) {
      channel.publish(EVENTS_EXCHANGE, event.type, Buffer.from(JSON.stringify(event)), {
        messageId: event.id,
        persistent: true,
        headers: { traceparent: `00-${traceId}-${spanId}-01` },
      });
    }
    await channel.waitForConfirms();
    await channel.close();
    return published;
  }

  it('processes a batch in a span linked to each publish, and each event under its publish span', async () => {
    await declared();
    const published = await publishTraced(3);

    await harness.startConsumer(
      [{ queue: QUEUE, events: ['user.registered'], handler: new Recorder() }],
      OPTIONS,
    );

    const spans = await waitFor(
      () => {
        const finished = exporter.getFinishedSpans();
        return (
          finished.filter((span) => span.name === 'process user.registered').length ===
            published.length && finished
        );
      },
      { description: 'a span per event' },
    );
    const [batch] = spans.filter((span) => span.name === `process ${QUEUE}`);
    expect(batch.kind).toBe(SpanKind.CONSUMER);
    expect(batch.attributes['messaging.batch.message_count']).toBe(published.length);
    expect(batch.links.map((link) => link.context.spanId)).toEqual(
      published.map(({ spanId }) => spanId),
    );
    expect(published.map(({ traceId }) => traceId)).not.toContain(batch.spanContext().traceId);
    for (const { event, traceId, spanId } of published) {
      const [processed] = spans.filter(
        (span) => span.attributes['messaging.message.id'] === event.id,
      );
      expect(processed.kind).toBe(SpanKind.CONSUMER);
      expect(processed.spanContext().traceId).toBe(traceId);
      expect(processed.parentSpanContext?.spanId).toBe(spanId);
      expect(processed.links.map((link) => link.context.spanId)).toEqual([
        batch.spanContext().spanId,
      ]);
    }
  });

  it('processes a batch of one message in a single span under its publish span', async () => {
    exporter.reset();
    const [{ event, traceId, spanId }] = await publishTraced(1);

    const spans = await waitFor(
      () => {
        const finished = exporter.getFinishedSpans();
        return (
          finished.some((span) => span.attributes['messaging.message.id'] === event.id) && finished
        );
      },
      { description: 'the span of the event' },
    );
    expect(spans.filter((span) => span.name === `process ${QUEUE}`)).toEqual([]);
    const processed = spans.filter((span) => span.attributes['messaging.message.id'] === event.id);
    expect(processed).toHaveLength(1);
    expect(processed[0].name).toBe('process user.registered');
    expect(processed[0].spanContext().traceId).toBe(traceId);
    expect(processed[0].parentSpanContext?.spanId).toBe(spanId);
  });

  it('runs the work done for each event of a batch, in the transaction and after it, in that event’s trace', async () => {
    exporter.reset();
    await declared(WITHIN_QUEUE);
    const published = await publishTraced(3);
    await harness.startConsumer(
      [{ queue: WITHIN_QUEUE, events: ['user.registered'], handler: new WorkerPerEvent() }],
      OPTIONS,
    );

    const spans = await waitFor(
      () => {
        const finished = exporter.getFinishedSpans();
        const processed = finished.filter(
          (span) =>
            span.name === 'process user.registered' &&
            span.attributes['messaging.destination.name'] === WITHIN_QUEUE,
        );
        return processed.length === published.length && finished;
      },
      { description: 'every event’s span ended' },
    );
    const [batch] = spans.filter((span) => span.name === `process ${WITHIN_QUEUE}`);
    expect(batch.attributes['messaging.batch.message_count']).toBe(published.length);
    const emitted: Array<{ envelope: EventEnvelope; headers: Record<string, string> }> =
      await harness.dataSource.query(`SELECT envelope, headers FROM ${TEST_SCHEMA}.outbox`);
    for (const { event, traceId, spanId } of published) {
      // The other queue of this file takes the same events, in spans of its own.
      const [processed] = spans.filter(
        (span) =>
          span.attributes['messaging.message.id'] === event.id &&
          span.attributes['messaging.destination.name'] === WITHIN_QUEUE,
      );
      expect(processed.spanContext().traceId).toBe(traceId);
      expect(processed.parentSpanContext?.spanId).toBe(spanId);
      for (const name of ['apply', 'after commit']) {
        const [work] = spans.filter(
          (span) => span.name === name && span.attributes['test.event'] === event.id,
        );
        expect(work.spanContext().traceId).toBe(traceId);
        expect(work.parentSpanContext?.spanId).toBe(processed.spanContext().spanId);
      }
      const [row] = emitted.filter((r) => r.envelope.aggregateId === event.aggregateId);
      expect(row.envelope.correlationId).toBe(event.correlationId);
      expect(row.headers.traceparent).toBe(`00-${traceId}-${processed.spanContext().spanId}-01`);
    }
  });
});
