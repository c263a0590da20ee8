import { BackoffPolicy, backoffDelayMs, backoffLevels } from './backoff';

const policy: BackoffPolicy = { baseMs: 1000, maxMs: 60_000, jitter: 0.2 };
const noJitter = () => 0;
const fullJitter = () => 0.999999;

describe('backoffDelayMs', () => {
  it('doubles the delay with every attempt, starting at the base', () => {
    expect([1, 2, 3, 4].map((attempt) => backoffDelayMs(attempt, policy, noJitter))).toEqual([
      1000, 2000, 4000, 8000,
    ]);
  });

  it('never exceeds the cap', () => {
    expect(backoffDelayMs(30, policy, noJitter)).toBe(60_000);
    expect(backoffDelayMs(10_000, policy, noJitter)).toBe(60_000);
  });

  it('takes away at most the jitter fraction', () => {
    expect(backoffDelayMs(1, policy, fullJitter)).toBe(800);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(3600);
  });

  it('keeps delays strictly growing whatever the random draws', () => {
    for (let attempt = 1; attempt < 6; attempt++) {
      const longestNow = backoffDelayMs(attempt, policy, noJitter);
      const shortestNext = backoffDelayMs(attempt + 1, policy, fullJitter);
      expect(shortestNext).toBeGreaterThan(longestNow);
    }
  });

  it('bounds a jitter of 0.5 or more so that delays still grow', () => {
    const wild = { ...policy, jitter: 0.9 };
    expect(backoffDelayMs(2, wild, fullJitter)).toBeGreaterThan(backoffDelayMs(1, wild, noJitter));
  });

  it('rejects attempts that are not positive integers', () => {
    expect(() => backoffDelayMs(0, policy)).toThrow(RangeError);
    expect(() => backoffDelayMs(1.5, policy)).toThrow(RangeError);
  });
});

describe('backoffLevels', () => {
  it('counts the failures until the delay reaches its cap', () => {
    // 1, 2, 4, 8, 16, 32 s, then 60 s (capped) from the 7th on.
    expect(backoffLevels(policy)).toBe(7);
    expect(backoffDelayMs(7, policy, noJitter)).toBe(policy.maxMs);
    expect(backoffDelayMs(6, policy, noJitter)).toBeLessThan(policy.maxMs);
    expect(backoffLevels({ baseMs: 1000, maxMs: 8000, jitter: 0 })).toBe(4);
  });

  it('is 1 when the base delay is already the cap', () => {
    expect(backoffLevels({ baseMs: 5000, maxMs: 1000, jitter: 0 })).toBe(1);
    expect(backoffLevels({ baseMs: 1000, maxMs: 1000, jitter: 0 })).toBe(1);
  });
});
