/**
 * When repeated failed logins lock an account. Pure rules; the login flow stores the
 * failures and the lock and asks these functions what they mean.
 */
export interface LockoutPolicy {
  maxFailures: number;
  windowMs: number;
  lockoutMs: number;
}

export function isLocked(lockedUntil: Date | null, now: Date): boolean {
  return lockedUntil !== null && now.getTime() < lockedUntil.getTime();
}

/** Failures older than this no longer count, so they need not be kept. */
export function failureWindowStart(policy: LockoutPolicy, now: Date): Date {
  return new Date(now.getTime() - policy.windowMs);
}

/**
 * The lock to set after a failed login at `now`, or null. `failures` are the account's
 * recorded failures, including this one. Failures from before the end of a previous lock
 * were already paid for by that lock and do not count again.
 */
export function lockAfterFailure(
  policy: LockoutPolicy,
  failures: readonly Date[],
  previousLockedUntil: Date | null,
  now: Date,
): Date | null {
  const windowStart = failureWindowStart(policy, now).getTime();
  const countedFrom = Math.max(windowStart + 1, previousLockedUntil?.getTime() ?? -Infinity);
  const counted = failures.filter((failure) => failure.getTime() >= countedFrom).length;
  return counted >= policy.maxFailures ? new Date(now.getTime() + policy.lockoutMs) : null;
}
