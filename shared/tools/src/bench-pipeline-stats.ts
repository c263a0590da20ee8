import { LatencySummary, percentile, perSecond, summarizeLatencies } from './bench-stats';

/**
 * The pipeline benchmark's arithmetic: lag per stage, whether it grew during a phase, the
 * highest rate the pipeline kept up with, and drain rates. Pure, so each rule has a spec.
 */

/** One event reaching one stage: when it committed and when the stage had it (epoch ms). */
export interface StageSample {
  occurredAt: number;
  reachedAt: number;
}

/** A phase's lag grew when its last third's median is past twice the first's plus this. */
export const GROWTH_MARGIN_MS = 50;
/** …or when the stage still had a backlog this long after the phase's last answer. */
export const DRAIN_ALLOWANCE_MS = 5000;

export interface StageLag {
  /** Per event: reachedAt − occurredAt. */
  lagMs: LatencySummary;
  /** Median lag of the events that committed in the first and in the last third of the phase. */
  firstThirdP50: number | null;
  lastThirdP50: number | null;
  /** From the phase's last answer until the stage had its last event; 0 when it was already there. */
  drainMs: number;
  growing: boolean;
  /** Which rules found it growing, for a table: `thirds`, `drain`, `missing`. */
  signs: string[];
  /** Why `growing`, in words; null when it did not grow. */
  why: string | null;
}

/** When the schedule of a phase started and ran out, and when its last answer came. */
export interface PhaseWindow {
  startedAt: number;
  durationMs: number;
  lastAnswerAt: number;
}

function median(values: readonly number[]): number | null {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/**
 * The lag of one stage over one phase and whether it grew: the median lag of the events
 * committed in the last third of the schedule compared with the first third's, and the time
 * the stage took to catch up once the writes stopped.
 */
export function stageLag(samples: readonly StageSample[], phase: PhaseWindow): StageLag {
  const third = phase.durationMs / 3;
  const lags = samples.map((s) => s.reachedAt - s.occurredAt);
  const firstThirdP50 = median(
    samples
      .filter((s) => s.occurredAt < phase.startedAt + third)
      .map((s) => s.reachedAt - s.occurredAt),
  );
  const lastThirdP50 = median(
    samples
      .filter((s) => s.occurredAt >= phase.startedAt + 2 * third)
      .map((s) => s.reachedAt - s.occurredAt),
  );
  const lastReachedAt = samples.reduce((last, s) => Math.max(last, s.reachedAt), -Infinity);
  const drainMs = Math.max(0, lastReachedAt - phase.lastAnswerAt);

  const reasons: string[] = [];
  const signs: string[] = [];
  if (
    firstThirdP50 !== null &&
    lastThirdP50 !== null &&
    lastThirdP50 > 2 * firstThirdP50 + GROWTH_MARGIN_MS
  ) {
    signs.push('thirds');
    reasons.push(
      `median lag ${firstThirdP50.toFixed(0)} ms in the first third, ${lastThirdP50.toFixed(0)} ms in the last`,
    );
  }
  if (drainMs > DRAIN_ALLOWANCE_MS) {
    signs.push('drain');
    reasons.push(`backlog drained ${(drainMs / 1000).toFixed(1)} s after the last answer`);
  }
  return {
    lagMs: summarizeLatencies(lags),
    firstThirdP50,
    lastThirdP50,
    drainMs,
    growing: reasons.length > 0,
    signs,
    why: reasons.length > 0 ? reasons.join('; ') : null,
  };
}

export interface StageFigures extends StageLag {
  /** Events that reached the stage, of those expected. */
  reached: number;
  expected: number;
}

/**
 * `stageLag`, and how many of the `expected` events reached the stage: one that never arrived
 * (within `timeoutMs`) is lag that grew without bound.
 */
export function stageFigures(
  samples: readonly StageSample[],
  expected: number,
  phase: PhaseWindow,
  timeoutMs: number,
): StageFigures {
  const lag = stageLag(samples, phase);
  if (samples.length >= expected) return { ...lag, reached: samples.length, expected };
  const missing = `${expected - samples.length} never arrived within ${timeoutMs / 1000} s`;
  return {
    ...lag,
    reached: samples.length,
    expected,
    growing: true,
    signs: [...lag.signs, 'missing'],
    why: lag.why ? `${lag.why}; ${missing}` : missing,
  };
}

/**
 * The highest of the rates at which no stage grew; null when every rate grew. A rate that
 * kept up above one that did not still counts: each phase starts from a drained pipeline.
 */
export function highestSustainedRate(
  phases: ReadonlyArray<{ rate: number; grew: boolean }>,
): number | null {
  const sustained = phases.filter((phase) => !phase.grew).map((phase) => phase.rate);
  return sustained.length > 0 ? Math.max(...sustained) : null;
}

/** How fast a backlog of `count` items went through one stage. */
export interface DrainRate {
  count: number;
  /** From the first item to the last, as the stage stamped them. */
  spanMs: number;
  /** Items after the first over the span: the stage's steady rate, its start-up left out. */
  perSecond: number;
}

/** The drain rate of a stage from the times it handled each item (epoch ms, any order). */
export function drainRate(reachedAt: readonly number[]): DrainRate {
  if (reachedAt.length === 0) return { count: 0, spanMs: 0, perSecond: 0 };
  const first = reachedAt.reduce((a, b) => Math.min(a, b));
  const last = reachedAt.reduce((a, b) => Math.max(a, b));
  return {
    count: reachedAt.length,
    spanMs: last - first,
    perSecond: perSecond(reachedAt.length - 1, last - first),
  };
}
