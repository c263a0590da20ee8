import { randomBytes } from 'node:crypto';
import { injectTraceHeaders } from '@servicedesk/platform';
import { Headers } from './topology';

/** Random lowercase hex of `bytes` bytes, never all zeros (W3C trace context makes those invalid). */
function nonZeroHex(bytes: number): string {
  for (;;) {
    const hex = randomBytes(bytes).toString('hex');
    if (!/^0+$/.test(hex)) return hex;
  }
}

/** A W3C `traceparent` that starts a new trace: version 00, random ids, not sampled. */
export function newTraceparent(): string {
  return `00-${nonZeroHex(16)}-${nonZeroHex(8)}-00`;
}

/**
 * The trace headers an outgoing message carries: the active span's context when tracing runs
 * and a span is active, else a fresh `traceparent`, so that every message has one (consumers
 * and log lines can then be correlated by trace id even without an OpenTelemetry SDK).
 */
export function messageTraceHeaders(): Record<string, string> {
  const headers = injectTraceHeaders();
  return headers[Headers.traceparent]
    ? headers
    : { ...headers, [Headers.traceparent]: newTraceparent() };
}
