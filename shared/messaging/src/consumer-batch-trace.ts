import {
  Context,
  ROOT_CONTEXT,
  Span,
  SpanContext,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
} from '@opentelemetry/api';
import type { ConsumeMessage } from 'amqplib';
import { runWithContext } from '@servicedesk/platform';
import type { ParsedMessage } from './consumer-batch';

/**
 * The spans of one batch. A batch of several messages is processed in `process <queue>`, a
 * trace of its own linked to each message's publish span (one parent cannot be all of them);
 * after the commit, each event's `afterCommit` runs in its own `process <type>` span under its
 * publish span (linked to the batch's), as on the per-message path, so a request's trace
 * shows its events handled and what their handlers did after the commit (an email sent).
 * A batch of one message is processed wholly in that message's `process <type>` span.
 */
export class BatchTrace {
  private readonly tracer = trace.getTracer('servicedesk');
  private readonly startTime = new Date();
  private readonly batch: Span;
  private readonly single: boolean;

  constructor(
    private readonly queue: string,
    private readonly messages: readonly ParsedMessage[],
  ) {
    this.single = messages.length === 1;
    this.batch = this.single
      ? this.eventSpan(messages[0], [])
      : this.tracer.startSpan(
          `process ${queue}`,
          {
            kind: SpanKind.CONSUMER,
            attributes: this.attributes(),
            links: messages
              .map((parsed) => publishSpanOf(parsed.message))
              .filter((span): span is SpanContext => span !== undefined)
              .map((span) => ({ context: span })),
          },
          ROOT_CONTEXT,
        );
  }

  /** Runs the batch's transaction in the batch's span (ended with it, unless the batch is one event). */
  async inBatch<T>(work: () => Promise<T>): Promise<T> {
    try {
      const active = trace.setSpan(ROOT_CONTEXT, this.batch);
      const result = await context.with(active, () =>
        this.single ? this.inEventContext(this.messages[0], work) : work(),
      );
      if (!this.single) this.batch.end();
      return result;
    } catch (error) {
      failed(this.batch, error);
      this.batch.end();
      throw error;
    }
  }

  /** Runs `work` (an event's `afterCommit`) in the event's span, then ends it. */
  async inEvent<T>(index: number, work: () => Promise<T>): Promise<T> {
    const parsed = this.messages[index];
    const span = this.single ? this.batch : this.eventSpan(parsed, [this.batch.spanContext()]);
    try {
      return await context.with(trace.setSpan(ROOT_CONTEXT, span), () =>
        this.inEventContext(parsed, work),
      );
    } catch (error) {
      failed(span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  private inEventContext<T>(parsed: ParsedMessage, work: () => Promise<T>): Promise<T> {
    return runWithContext({ correlationId: parsed.envelope.correlationId, identity: null }, work);
  }

  private eventSpan(parsed: ParsedMessage, links: SpanContext[]): Span {
    const publish = publishSpanOf(parsed.message);
    const parent: Context = publish ? trace.setSpanContext(ROOT_CONTEXT, publish) : ROOT_CONTEXT;
    return this.tracer.startSpan(
      `process ${parsed.envelope.type}`,
      {
        kind: SpanKind.CONSUMER,
        startTime: this.startTime,
        links: links.map((span) => ({ context: span })),
        attributes: {
          ...this.attributes(),
          'messaging.message.id': parsed.envelope.id,
          'messaging.rabbitmq.delivery.attempt': parsed.attempt,
        },
      },
      parent,
    );
  }

  private attributes() {
    return {
      'messaging.system': 'rabbitmq',
      'messaging.operation.type': 'process',
      'messaging.destination.name': this.queue,
      'messaging.batch.message_count': this.messages.length,
    };
  }
}

function failed(span: Span, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  span.recordException(error instanceof Error ? error : message);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/** The span that published `message`, from the W3C headers it carries (strings or buffers). */
function publishSpanOf(message: ConsumeMessage): SpanContext | undefined {
  const carrier: Record<string, string> = {};
  for (const [key, value] of Object.entries(message.properties.headers ?? {})) {
    if (typeof value === 'string') carrier[key] = value;
    else if (Buffer.isBuffer(value)) carrier[key] = value.toString('utf8');
  }
  return trace.getSpanContext(propagation.extract(ROOT_CONTEXT, carrier));
}
