import type { LoadResult } from './bench-load';

/** Latency and throughput figures of one benchmark phase, computed from raw samples. */

export interface LatencySummary {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/**
 * The nearest-rank percentile of `sortedAscending`: the smallest sample with at least `p`
 * percent of the samples at or below it (always a measured value, never an interpolation).
 * Null when there are no samples.
 */
export function percentile(sortedAscending: readonly number[], p: number): number | null {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  if (sortedAscending.length === 0) return null;
  const rank = Math.ceil((p / 100) * sortedAscending.length);
  return sortedAscending[rank - 1];
}

export function summarizeLatencies(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length === 0 ? null : sorted[sorted.length - 1],
  };
}

/** Events per second; 0 when no time elapsed, so an empty phase never divides by zero. */
export function perSecond(count: number, elapsedMs: number): number {
  return elapsedMs > 0 ? (count * 1000) / elapsedMs : 0;
}

/** One measured phase as reported. */
export interface PhaseFigures {
  clients: number;
  seconds: number;
  ok: number;
  errors: number;
  /** Refusals the phase expects under contention (CONFLICT); null where there are none to expect. */
  conflicts: number | null;
  firstError: string | null;
  perSecond: number;
  latencyMs: LatencySummary;
}

/** The figures of a phase from its load result; `conflicts` only for phases that count them. */
export function phaseFigures(
  clients: number,
  result: LoadResult,
  options: { countsConflicts?: boolean } = {},
): PhaseFigures {
  return {
    clients,
    seconds: result.elapsedMs / 1000,
    ok: result.latenciesMs.length,
    errors: result.errors,
    conflicts: options.countsConflicts ? result.rejections : null,
    firstError: result.firstError,
    perSecond: perSecond(result.latenciesMs.length, result.elapsedMs),
    latencyMs: summarizeLatencies(result.latenciesMs),
  };
}
