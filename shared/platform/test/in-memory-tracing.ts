import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { tracing } from '@opentelemetry/sdk-node';

/**
 * What `startTracing` installs, with spans kept in memory instead of exported, for the specs of
 * one file: installed before them, emptied after each, removed after all. `wrap` puts a span
 * processor of the tracing module's own (e.g. `IdleRoundFilter`) in front of the exporter.
 */
export function useInMemoryTracing(
  wrap: (processor: tracing.SpanProcessor) => tracing.SpanProcessor = (processor) => processor,
): tracing.InMemorySpanExporter {
  const exporter = new tracing.InMemorySpanExporter();
  const provider = new tracing.BasicTracerProvider({
    spanProcessors: [wrap(new tracing.SimpleSpanProcessor(exporter))],
  });

  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
  });

  afterEach(() => exporter.reset());

  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });

  return exporter;
}
