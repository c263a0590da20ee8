import { SpanStatusCode, TraceFlags, context, trace } from '@opentelemetry/api';
import { useInMemoryTracing } from '../test/in-memory-tracing';
import { createLogger } from './logger';
import { PeriodicTask } from './periodic-task';
import {
  IdleRoundFilter,
  ROUND_ITEMS_ATTRIBUTE,
  inRound,
  inSpan,
  injectTraceHeaders,
} from './tracing';

const exporter = useInMemoryTracing((processor) => new IdleRoundFilter(processor));

const names = () => exporter.getFinishedSpans().map((span) => span.name);

describe('a background round that handles something', () => {
  it('is the root span of a trace of its own, with its spans and the trace of what it emits', async () => {
    const request = {
      traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      spanId: 'bbbbbbbbbbbbbbbb',
      traceFlags: TraceFlags.SAMPLED,
    };
    let emitted: Record<string, string> = {};

    // Started from inside a request, as a loop started by a request would be.
    await context.with(trace.setSpanContext(context.active(), request), () =>
      inRound('emitting appointment reminders', () =>
        inSpan('pg.query', {}, async () => {
          emitted = injectTraceHeaders();
          return 2;
        }),
      ),
    );

    const [query, round] = exporter.getFinishedSpans();
    expect(round.name).toBe('emitting appointment reminders');
    expect(round.parentSpanContext).toBeUndefined();
    expect(round.spanContext().traceId).not.toBe(request.traceId);
    expect(round.attributes[ROUND_ITEMS_ATTRIBUTE]).toBe(2);
    expect(query.parentSpanContext?.spanId).toBe(round.spanContext().spanId);
    expect(emitted.traceparent).toBe(
      `00-${round.spanContext().traceId}-${query.spanContext().spanId}-01`,
    );
  });

  it('passes on spans of its trace that end after it, such as the publish of what it emitted', async () => {
    let headers: Record<string, string> = {};
    await inRound('SLA breach detection', async () => {
      headers = injectTraceHeaders();
      return 1;
    });

    await inSpan('publish ticket.sla_breached', { parentHeaders: headers }, async () => undefined);

    expect(names()).toEqual(['SLA breach detection', 'publish ticket.sla_breached']);
  });

  it('is one trace per round, not one for the whole loop', async () => {
    await inRound('releasing held emails', async () => 1);
    await inRound('releasing held emails', async () => 3);

    const traces = exporter.getFinishedSpans().map((span) => span.spanContext().traceId);
    expect(traces).toHaveLength(2);
    expect(new Set(traces).size).toBe(2);
  });
});

describe('an idle round', () => {
  it('leaves no span, neither its own nor those of its queries', async () => {
    await inRound('SLA breach detection', () => inSpan('pg.query', {}, async () => 0));

    expect(names()).toEqual([]);
  });

  it('is kept when something in it failed', async () => {
    await inRound('releasing held emails', async () => {
      await inSpan('smtp send', {}, async (span) => {
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'connection refused' });
      });
      return 0;
    });

    expect(names()).toEqual(['smtp send', 'releasing held emails']);
  });

  it('is kept when it failed itself', async () => {
    await expect(
      inRound('outbox cleanup', () => Promise.reject(new Error('database down'))),
    ).rejects.toThrow('database down');

    expect(names()).toEqual(['outbox cleanup']);
  });

  it('holds back no span of another trace while it runs', async () => {
    let finishRound: (items: number) => void = () => undefined;
    const round = inRound('outbox cleanup', () => new Promise<number>((r) => (finishRound = r)));

    await inSpan('POST /graphql', { parentHeaders: {} }, async () => undefined);
    expect(names()).toEqual(['POST /graphql']);

    finishRound(0);
    await round;
    expect(names()).toEqual(['POST /graphql']);
  });
});

describe('PeriodicTask', () => {
  const logger = createLogger('tracing-rounds-spec', 'silent');

  it('traces each run that handled something as a round of its own, and no idle run', async () => {
    const handled = [0, 2, 0, 1];
    let runs = 0;
    const task = new PeriodicTask({
      name: 'emitting appointment reminders',
      intervalMs: 10,
      logger,
      run: () => inSpan('pg.query', {}, async () => handled[runs++] ?? 0),
    });

    jest.useFakeTimers();
    try {
      task.start();
      await jest.advanceTimersByTimeAsync(45);
      await task.stop();
    } finally {
      jest.useRealTimers();
    }

    expect(runs).toBe(handled.length);
    const rounds = exporter
      .getFinishedSpans()
      .filter((span) => span.name === 'emitting appointment reminders');
    expect(rounds.map((span) => span.attributes[ROUND_ITEMS_ATTRIBUTE])).toEqual([2, 1]);
    expect(names().filter((name) => name === 'pg.query')).toHaveLength(2);
  });
});
