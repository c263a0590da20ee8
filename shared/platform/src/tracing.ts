import type { IncomingMessage } from 'node:http';
import {
  Attributes,
  Context,
  ROOT_CONTEXT,
  Span,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
} from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { NodeSDK, tracing } from '@opentelemetry/sdk-node';

let sdk: NodeSDK | undefined;

/**
 * Starts OpenTelemetry tracing for `servicedesk-<service>` when an OTLP endpoint is
 * configured. It must run before http, express, pg or amqplib are loaded, or they cannot be
 * instrumented: call it from a file main.ts imports first, importing it from
 * `@servicedesk/platform/tracing` (that entry does not load the rest of the platform).
 * This reads the standard OTEL_* variables directly: the SDK and exporter read them too, and
 * the service's config cannot be loaded before tracing starts.
 */
export function startTracing(service: string): void {
  if (sdk || !process.env.OTEL_EXPORTER_OTLP_ENDPOINT) return;
  // Required lazily: these load every instrumentation package, which a service without
  // tracing (and every test) should not pay for.
  /* eslint-disable @typescript-eslint/no-require-imports */
  let modules: {
    sdkNode: typeof import('@opentelemetry/sdk-node');
    auto: typeof import('@opentelemetry/auto-instrumentations-node');
    exporter: typeof import('@opentelemetry/exporter-trace-otlp-http');
  };
  try {
    modules = {
      sdkNode: require('@opentelemetry/sdk-node'),
      auto: require('@opentelemetry/auto-instrumentations-node'),
      exporter: require('@opentelemetry/exporter-trace-otlp-http'),
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`OTEL_EXPORTER_OTLP_ENDPOINT is set but tracing cannot start: ${reason}`);
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
  const { NodeSDK } = modules.sdkNode;
  const { getNodeAutoInstrumentations } = modules.auto;
  const { OTLPTraceExporter } = modules.exporter;
  // The endpoint is a trace collector: metrics are scraped by Prometheus and logs go to
  // stdout, so the SDK sends them only where an operator asks for it.
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  sdk = new NodeSDK({
    serviceName: `servicedesk-${service}`,
    spanProcessors: [
      new IdleRoundFilter(new modules.sdkNode.tracing.BatchSpanProcessor(new OTLPTraceExporter())),
    ],
    instrumentations: [
      getNodeAutoInstrumentations({
        // fs spans are noise (every require and file read) and cost real time.
        '@opentelemetry/instrumentation-fs': { enabled: false },
        // Messages are traced by the messaging library: a publish span per outbox row, in the
        // trace of the request that wrote it, and a process span per delivery under it.
        '@opentelemetry/instrumentation-amqplib': { enabled: false },
        // Probes and scrapes are not requests anyone follows; the work they do is untraced too.
        '@opentelemetry/instrumentation-http': {
          ignoreIncomingRequestHook: isProbeOrScrape,
          requireParentforOutgoingSpans: true,
        },
        // Background loops (polls, timers) would otherwise start a trace per query or call.
        '@opentelemetry/instrumentation-pg': { requireParentSpan: true },
        '@opentelemetry/instrumentation-undici': { requireParentforSpans: true },
        // Our logger writes the active span as `traceId` and `spanId` (docs/logging.md); the
        // instrumentation's `trace_id`/`span_id` would repeat them under other names.
        '@opentelemetry/instrumentation-pino': { disableLogCorrelation: true },
      }),
    ],
  });
  sdk.start();
}

/** Flushes pending spans; called by graceful shutdown. A no-op when tracing is off. */
export async function stopTracing(): Promise<void> {
  const running = sdk;
  sdk = undefined;
  await running?.shutdown();
}

/** W3C trace-context headers (`traceparent`, `tracestate`) for the active span, for message headers. */
export function injectTraceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** Health probes and metrics scrapes, on the public port or the management port. */
export function isProbeOrScrape(request: Pick<IncomingMessage, 'url'>): boolean {
  const path = (request.url ?? '').split('?', 1)[0];
  return path === '/metrics' || path.startsWith('/health/');
}

/** The trace context that W3C headers (a message's: strings or buffers) describe, and nothing else. */
function contextOfHeaders(headers: Record<string, unknown> | undefined): Context {
  const carrier: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (typeof value === 'string') carrier[key] = value;
    else if (Buffer.isBuffer(value)) carrier[key] = value.toString('utf8');
  }
  return propagation.extract(ROOT_CONTEXT, carrier);
}

const SPAN_KINDS = {
  internal: SpanKind.INTERNAL,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
};

export interface SpanOptions {
  /** `internal` by default. */
  kind?: keyof typeof SPAN_KINDS;
  attributes?: Attributes;
  /**
   * W3C headers the span continues (a message's, an outbox row's) instead of the active span:
   * work done for a message belongs to the request that caused it, whatever runs it.
   * An empty object starts a trace of its own.
   */
  parentHeaders?: Record<string, unknown>;
}

/**
 * Runs `fn` inside a new span `name`, ended when `fn` settles and marked failed if it throws.
 * `fn` may mark it failed itself (`span.setStatus`) for an outcome it returns. Without the SDK
 * the span records nothing and costs next to nothing.
 */
export function inSpan<T>(
  name: string,
  options: SpanOptions,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent =
    options.parentHeaders === undefined
      ? context.active()
      : contextOfHeaders(options.parentHeaders);
  const tracer = trace.getTracer('servicedesk');
  return tracer.startActiveSpan(
    name,
    { kind: SPAN_KINDS[options.kind ?? 'internal'], attributes: options.attributes },
    parent,
    async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        span.recordException(error instanceof Error ? error : message);
        span.setStatus({ code: SpanStatusCode.ERROR, message });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/**
 * Runs `fn` outside any trace, with its own calls untraced: a background loop started from a
 * request (or from start-up) would otherwise add every round's work to that one trace.
 * Spans started from `parentHeaders` inside it are traced again, in their own trace.
 */
export function untraced<T>(fn: () => T): T {
  return context.with(suppressTracing(ROOT_CONTEXT), fn);
}

/** Marks the root span of a background round; its value is the round's name. */
export const ROUND_ATTRIBUTE = 'servicedesk.round';
/** How many items a background round handled, set on its root span when it ends. */
export const ROUND_ITEMS_ATTRIBUTE = 'servicedesk.round.items';

/**
 * Runs one round of background work (a detector's pass, a release loop's, the outbox
 * cleanup) as the root span `name` of a trace of its own, whatever context is active, so
 * the events it emits carry that trace. `fn` resolves to how many items the round handled:
 * a round that handled none, and in which nothing failed, is dropped with every span in it
 * (see `IdleRoundFilter`), so idle loops leave nothing in the trace store.
 */
export function inRound(name: string, fn: () => Promise<number | void>): Promise<number | void> {
  return inSpan(
    name,
    { parentHeaders: {}, attributes: { [ROUND_ATTRIBUTE]: name } },
    async (span) => {
      const items = await fn();
      if (typeof items === 'number') span.setAttribute(ROUND_ITEMS_ATTRIBUTE, items);
      return items;
    },
  );
}

/**
 * Past this many spans a round is not idle (an idle one only looks): they are passed on
 * without waiting for the round to end, so a long round holds no memory.
 */
const MAX_HELD_SPANS = 64;

/**
 * Holds the spans of each background round (`inRound`) until its root span ends, then passes
 * them on, or drops them all when the round handled nothing and nothing in it failed: a
 * sampler decides when a span starts, before anyone knows whether the round will find work.
 * Spans of other traces pass straight through.
 */
export class IdleRoundFilter implements tracing.SpanProcessor {
  /** The spans held per trace id of a round in progress. */
  private readonly held = new Map<string, tracing.ReadableSpan[]>();

  constructor(private readonly next: tracing.SpanProcessor) {}

  onStart(span: tracing.Span, parentContext: Context): void {
    if (span.attributes[ROUND_ATTRIBUTE] !== undefined) {
      this.held.set(span.spanContext().traceId, []);
    }
    this.next.onStart(span, parentContext);
  }

  onEnd(span: tracing.ReadableSpan): void {
    const traceId = span.spanContext().traceId;
    const held = this.held.get(traceId);
    if (!held) return this.next.onEnd(span);
    held.push(span);
    const isRoot = span.attributes[ROUND_ATTRIBUTE] !== undefined;
    if (!isRoot && held.length < MAX_HELD_SPANS) return;
    this.held.delete(traceId);
    const idle =
      span.attributes[ROUND_ITEMS_ATTRIBUTE] === 0 &&
      held.every((each) => each.status.code !== SpanStatusCode.ERROR);
    if (isRoot && idle) return;
    for (const each of held) this.next.onEnd(each);
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush();
  }

  shutdown(): Promise<void> {
    this.held.clear();
    return this.next.shutdown();
  }
}
