import { setTimeout as sleep } from 'node:timers/promises';

/**
 * An open-loop load generator: call number i is due at start + i / rate, whether or not the
 * earlier ones have answered, so a slow system meets the same offered load instead of a
 * politely slower one. A call due while `maxInFlight` are unanswered is not started: it is
 * counted as shed.
 */

export interface OpenLoopOptions {
  /** Calls per second. */
  rate: number;
  durationMs: number;
  maxInFlight: number;
  signal: AbortSignal;
  /** Call number `index` (0-based); what it answered is for the caller to keep. */
  operation(index: number): Promise<void>;
}

export interface OpenLoopResult {
  /** Epoch ms at which the schedule started. */
  startedAt: number;
  /** Calls started, shed (due with `maxInFlight` unanswered) and failed. */
  started: number;
  shed: number;
  errors: number;
  firstError: string | null;
  /** Duration of every call that succeeded, in ms. */
  latenciesMs: number[];
  /** Epoch ms of the last answer (the start, if none came). */
  lastAnswerAt: number;
}

/** Calls due by `elapsedMs` into a schedule at `rate` per second (the first is due at once). */
export function callsDue(elapsedMs: number, rate: number, durationMs: number): number {
  const scheduled = Math.ceil((durationMs * rate) / 1000);
  if (elapsedMs < 0) return 0;
  return Math.min(scheduled, Math.floor((elapsedMs * rate) / 1000) + 1);
}

export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const { rate, durationMs, maxInFlight, signal, operation } = options;
  const startedAt = Date.now();
  const begin = performance.now();
  const total = callsDue(durationMs, rate, durationMs);
  const inFlight = new Set<Promise<void>>();
  const latenciesMs: number[] = [];
  let started = 0;
  let shed = 0;
  let errors = 0;
  let firstError: string | null = null;
  let lastAnswerAt = startedAt;

  const call = (index: number) => {
    const callStart = performance.now();
    const running = operation(index).then(
      () => {
        latenciesMs.push(performance.now() - callStart);
      },
      (error: unknown) => {
        errors += 1;
        firstError ??= error instanceof Error ? error.message : String(error);
      },
    );
    const tracked = running.finally(() => {
      inFlight.delete(tracked);
      lastAnswerAt = Math.max(lastAnswerAt, Date.now());
    });
    inFlight.add(tracked);
  };

  let next = 0;
  while (next < total) {
    signal.throwIfAborted();
    const due = callsDue(performance.now() - begin, rate, durationMs);
    for (; next < due; next += 1) {
      if (inFlight.size >= maxInFlight) {
        shed += 1;
        continue;
      }
      started += 1;
      call(next);
    }
    if (next < total) {
      const nextDueInMs = (next * 1000) / rate - (performance.now() - begin);
      await sleep(Math.max(0, nextDueInMs), undefined, { signal });
    }
  }
  while (inFlight.size > 0) await Promise.race(inFlight);
  signal.throwIfAborted();
  return {
    startedAt,
    started,
    shed,
    errors,
    firstError,
    latenciesMs,
    lastAnswerAt,
  };
}
