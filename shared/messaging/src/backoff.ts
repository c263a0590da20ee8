export interface BackoffPolicy {
  /** Delay before the first retry. */
  baseMs: number;
  /** Upper bound of any delay. */
  maxMs: number;
  /**
   * Fraction (0 ≤ jitter < 0.5) of the delay taken away at random, so that messages
   * failing together do not come back together. Below 0.5 the delays still strictly grow
   * from one attempt to the next, whatever the random draw.
   */
  jitter: number;
}

/**
 * Exponential backoff with jitter: the delay after the `attempt`-th failure (1-based) is
 * `baseMs · 2^(attempt-1)`, capped at `maxMs`, minus up to `jitter` of itself.
 */
export function backoffDelayMs(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  if (!Number.isInteger(attempt) || attempt < 1)
    throw new RangeError(`attempt must be a positive integer, got ${attempt}`);
  const exponential = policy.baseMs * 2 ** Math.min(attempt - 1, 52);
  const capped = Math.min(exponential, policy.maxMs);
  const jitter = Math.min(Math.max(policy.jitter, 0), 0.49);
  return Math.max(1, Math.round(capped * (1 - jitter * random())));
}

/**
 * How many failures it takes for the delay to reach `maxMs` (at least 1): from then on every
 * delay is `maxMs` (minus jitter).
 */
export function backoffLevels(policy: BackoffPolicy): number {
  let levels = 1;
  while (levels < 53 && policy.baseMs * 2 ** (levels - 1) < policy.maxMs) levels += 1;
  return levels;
}
