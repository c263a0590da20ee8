import { context, propagation } from '@opentelemetry/api';
import type { NodeSDK } from '@opentelemetry/sdk-node';

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
  sdk = new NodeSDK({
    serviceName: `servicedesk-${service}`,
    traceExporter: new OTLPTraceExporter(),
    instrumentations: [
      // fs spans are noise (every require and file read) and cost real time.
      getNodeAutoInstrumentations({ '@opentelemetry/instrumentation-fs': { enabled: false } }),
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

/** Runs `fn` as a continuation of the trace described by `headers` (e.g. a consumed message's). */
export function withExtractedTraceContext<T>(
  headers: Record<string, unknown> | undefined,
  fn: () => T,
): T {
  const carrier: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (typeof value === 'string') carrier[key] = value;
    else if (Buffer.isBuffer(value)) carrier[key] = value.toString('utf8');
  }
  return context.with(propagation.extract(context.active(), carrier), fn);
}
