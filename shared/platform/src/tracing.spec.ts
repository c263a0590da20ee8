import {
  Context,
  ContextManager,
  ROOT_CONTEXT,
  TraceFlags,
  context,
  propagation,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { injectTraceHeaders, withExtractedTraceContext } from './tracing';

/** The NodeSDK installs an async-aware manager; synchronous nesting is all these tests need. */
class StackContextManager implements ContextManager {
  private stack: Context[] = [];
  active(): Context {
    return this.stack[this.stack.length - 1] ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    this.stack.push(ctx);
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.stack.pop();
    }
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.stack = [];
    return this;
  }
}

const spanContext = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
};

describe('trace context propagation', () => {
  beforeAll(() => {
    context.setGlobalContextManager(new StackContextManager());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  });

  afterAll(() => {
    context.disable();
    propagation.disable();
  });

  it('injects nothing outside a span', () => {
    expect(injectTraceHeaders()).toEqual({});
  });

  it('injects the active span as a W3C traceparent', () => {
    const headers = context.with(
      trace.setSpanContext(context.active(), spanContext),
      injectTraceHeaders,
    );

    expect(headers.traceparent).toBe(`00-${spanContext.traceId}-${spanContext.spanId}-01`);
  });

  it('runs a function inside the trace described by message headers (strings or buffers)', () => {
    const traceparent = Buffer.from(`00-${spanContext.traceId}-${spanContext.spanId}-01`);

    const seen = withExtractedTraceContext(
      { traceparent, 'x-correlation-id': 'c-1', retries: 3 },
      () => trace.getSpanContext(context.active()),
    );

    expect(seen).toMatchObject({
      traceId: spanContext.traceId,
      spanId: spanContext.spanId,
      isRemote: true,
    });
  });

  it('runs the function in the current context when headers carry no trace', () => {
    expect(
      withExtractedTraceContext(undefined, () => trace.getSpanContext(context.active())),
    ).toBeUndefined();
  });
});
