import { randomBytes } from 'node:crypto';
import { SpanKind, context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { tracing } from '@opentelemetry/sdk-node';
import { EventEnvelope } from '@servicedesk/contracts';
import { anEvent, waitFor } from '@servicedesk/testing';
import {
  BatchEventHandler,
  EVENTS_EXCHANGE,
  Tx,
  consumerOptions,
  declareTopology,
  planTopology,
} from '@servicedesk/messaging';
import { MessagingHarness, recordEffect } from './support/messaging-harness';

const QUEUE = 'messaging-test.batch-tracing';
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

  async function declared(): Promise<void> {
    const channel = await harness.broker.createChannel();
    await declareTopology(
      channel,
      planTopology({ [QUEUE]: ['user.registered'] }, consumerOptions(OPTIONS)),
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
});
