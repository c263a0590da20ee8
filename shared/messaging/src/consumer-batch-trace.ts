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
 * trace of its own linked to each message's publish span (one parent cannot be all of them),
 * from its hand-over to the end of its after-commit work; its shared statements (the inbox
 * rows, a multi-row insert, a claim of many emails) are in it. Each event has its own
 * `process <type>` span under its publish span (linked to the batch's), open from the
 * hand-over until its own after-commit work is settled: what the handler does for that event
 * (`Delivery.within`), in the transaction or after it, is in that span, so a request's trace
 * shows its events handled and what was done for them (a notification stored, an email sent).
 * A batch of one message is processed wholly in that message's `process <type>` span.
 */
export class BatchTrace {
  private readonly tracer = trace.getTracer('servicedesk');
  private readonly startTime = new Date();
  private readonly batch: Span;
  private readonly events: readonly Span[];
  private readonly single: boolean;

  constructor(
    private readonly queue: string,
    private readonly messages: readonly ParsedMessage[],
  ) {
    this.single = messages.length === 1;
    if (this.single) {
      this.batch = this.eventSpan(messages[0], []);
      this.events = [this.batch];
      return;
    }
    this.batch = this.tracer.startSpan(
      `process ${queue}`,
      {
        kind: SpanKind.CONSUMER,
        startTime: this.startTime,
        attributes: this.attributes(),
        links: messages
          .map((parsed) => publishSpanOf(parsed.message))
          .filter((span): span is SpanContext => span !== undefined)
          .map((span) => ({ context: span })),
      },
      ROOT_CONTEXT,
    );
    this.events = messages.map((parsed) => this.eventSpan(parsed, [this.batch.spanContext()]));
  }

  /** Runs work for the whole batch (its transaction, its after-commit work) in the batch's span. */
  inBatch<T>(work: () => Promise<T>): Promise<T> {
    return this.single
      ? this.within(0, work)
      : context.with(trace.setSpan(ROOT_CONTEXT, this.batch), work);
  }

  /** Runs `work` for the `index`-th message in its span and correlation context. */
  within<T>(index: number, work: () => Promise<T>): Promise<T> {
    const { envelope } = this.messages[index];
    return context.with(trace.setSpan(ROOT_CONTEXT, this.events[index]), () =>
      runWithContext({ correlationId: envelope.correlationId, identity: null }, work),
    );
  }

  /** Ends the `index`-th message's span, failed if its work failed. */
  endEvent(index: number, error?: unknown): void {
    const span = this.events[index];
    if (error !== undefined) failed(span, error);
    span.end();
  }

  /** Ends the batch's span once its after-commit work is done (a batch of one: with its event). */
  end(): void {
    if (!this.single) this.batch.end();
  }

  /**
   * The transaction failed: nothing of it stays, and each message is then handled alone, in
   * spans of its own. The batch's spans end here, failed.
   */
  rolledBack(error: unknown): void {
    failed(this.batch, error);
    this.batch.end();
    if (this.single) return;
    for (const span of this.events) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'its batch was rolled back' });
      span.end();
    }
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
