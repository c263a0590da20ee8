import { SpanKind, SpanStatusCode, TraceFlags, context, trace } from '@opentelemetry/api';
import { useInMemoryTracing } from '../test/in-memory-tracing';
import { inSpan, injectTraceHeaders, isProbeOrScrape, untraced } from './tracing';

const exporter = useInMemoryTracing();

const spanContext = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
};

const traceparent = `00-${spanContext.traceId}-${spanContext.spanId}-01`;

describe('trace headers', () => {
  it('injects nothing outside a span', () => {
    expect(injectTraceHeaders()).toEqual({});
  });

  it('injects the active span as a W3C traceparent', () => {
    const headers = context.with(
      trace.setSpanContext(context.active(), spanContext),
      injectTraceHeaders,
    );

    expect(headers.traceparent).toBe(traceparent);
  });
});

describe('inSpan', () => {
  it('continues the trace of message headers (strings or buffers), not the active span', async () => {
    const unrelated = { ...spanContext, traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' };

    const injected = await context.with(trace.setSpanContext(context.active(), unrelated), () =>
      inSpan(
        'publish ticket.created',
        {
          kind: 'producer',
          parentHeaders: { traceparent: Buffer.from(traceparent), retries: 3 },
        },
        async () => injectTraceHeaders(),
      ),
    );

    const [span] = exporter.getFinishedSpans();
    expect(span).toMatchObject({ name: 'publish ticket.created', kind: SpanKind.PRODUCER });
    expect(span.spanContext().traceId).toBe(spanContext.traceId);
    expect(span.parentSpanContext?.spanId).toBe(spanContext.spanId);
    expect(injected.traceparent).toBe(`00-${spanContext.traceId}-${span.spanContext().spanId}-01`);
  });

  it('is a child of the active span without headers, also after an await', async () => {
    await inSpan('process ticket.created', { kind: 'consumer' }, async () => {
      await Promise.resolve();
      await inSpan('smtp send', {}, async () => undefined);
    });

    const [child, parent] = exporter.getFinishedSpans();
    expect(child.name).toBe('smtp send');
    expect(child.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(child.spanContext().traceId).toBe(parent.spanContext().traceId);
  });

  it('ends the span failed and passes the error on when the function throws', async () => {
    await expect(
      inSpan('smtp send', {}, async () => {
        throw new Error('421 try later');
      }),
    ).rejects.toThrow('421 try later');

    const [span] = exporter.getFinishedSpans();
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: '421 try later' });
    expect(span.events.map((event) => event.name)).toEqual(['exception']);
  });
});

describe('untraced', () => {
  it('records nothing started inside it, except spans continuing message headers', async () => {
    await context.with(trace.setSpanContext(context.active(), spanContext), () =>
      untraced(async () => {
        await inSpan('relay round', {}, async () => undefined);
        await inSpan(
          'publish ticket.created',
          { parentHeaders: { traceparent } },
          async () => undefined,
        );
      }),
    );

    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual([
      'publish ticket.created',
    ]);
  });
});

describe('isProbeOrScrape', () => {
  it.each(['/health/live', '/health/ready', '/health/ready?verbose=1', '/metrics'])(
    'is true for %s',
    (url) => expect(isProbeOrScrape({ url })).toBe(true),
  );

  it.each(['/graphql', '/metrics-old', '/healthcheck', '/.well-known/jwks.json'])(
    'is false for %s',
    (url) => expect(isProbeOrScrape({ url })).toBe(false),
  );
});
