import { LockoutPolicy, isLocked, lockAfterFailure } from './lockout-policy';

const MINUTE = 60_000;
const policy: LockoutPolicy = { maxFailures: 5, windowMs: 15 * MINUTE, lockoutMs: 15 * MINUTE };
const start = new Date('2025-01-01T10:00:00.000Z');
const at = (minutes: number) => new Date(start.getTime() + minutes * MINUTE);

describe('lockAfterFailure', () => {
  it('does not lock before the fifth failure in the window', () => {
    const failures = [at(0), at(1), at(2), at(3)];
    expect(lockAfterFailure(policy, failures, null, at(3))).toBeNull();
  });

  it('locks for the lockout period at the fifth failure in the window', () => {
    const failures = [at(0), at(1), at(2), at(3), at(4)];
    expect(lockAfterFailure(policy, failures, null, at(4))).toEqual(at(19));
  });

  it('ignores failures that fell out of the window', () => {
    const failures = [at(0), at(10), at(11), at(12), at(15)];
    expect(lockAfterFailure(policy, failures, null, at(15))).toBeNull();
  });

  it('does not count failures from before a previous lock ended again', () => {
    const policyWithShortLock = { ...policy, lockoutMs: 1 * MINUTE };
    const failures = [at(0), at(1), at(2), at(3), at(4), at(6)];
    expect(lockAfterFailure(policyWithShortLock, failures, at(5), at(6))).toBeNull();
  });

  it('locks again after five new failures once a previous lock has ended', () => {
    const failures = [at(20), at(21), at(22), at(23), at(24)];
    expect(lockAfterFailure(policy, failures, at(19), at(24))).toEqual(at(39));
  });
});

describe('isLocked', () => {
  it('is locked strictly before the lock ends', () => {
    expect(isLocked(at(19), at(18))).toBe(true);
    expect(isLocked(at(19), at(19))).toBe(false);
    expect(isLocked(null, at(0))).toBe(false);
  });
});
