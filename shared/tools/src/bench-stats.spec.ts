import { percentile, perSecond, phaseFigures, summarizeLatencies } from './bench-stats';

describe('percentile', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('picks the nearest-rank sample', () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 95)).toBe(95);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile([10, 20, 30, 40], 50)).toBe(20);
    expect(percentile([10, 20, 30, 40], 51)).toBe(30);
  });

  it('returns the only sample for a single-sample run', () => {
    expect(percentile([7], 1)).toBe(7);
    expect(percentile([7], 99)).toBe(7);
  });

  it('is null without samples', () => {
    expect(percentile([], 95)).toBeNull();
  });

  it('rejects percentiles outside (0, 100]', () => {
    expect(() => percentile(hundred, 0)).toThrow(RangeError);
    expect(() => percentile(hundred, 101)).toThrow(RangeError);
    expect(() => percentile(hundred, Number.NaN)).toThrow(RangeError);
  });
});

describe('summarizeLatencies', () => {
  it('sorts the samples itself and leaves the caller’s array alone', () => {
    const samples = [5, 1, 4, 2, 3];
    expect(summarizeLatencies(samples)).toEqual({ count: 5, p50: 3, p95: 5, p99: 5, max: 5 });
    expect(samples).toEqual([5, 1, 4, 2, 3]);
  });

  it('reports a tail that the median hides', () => {
    const samples = [...Array.from({ length: 98 }, () => 10), 500, 900];
    expect(summarizeLatencies(samples)).toMatchObject({ p50: 10, p95: 10, p99: 500, max: 900 });
  });

  it('has no figures for an empty phase', () => {
    expect(summarizeLatencies([])).toEqual({
      count: 0,
      p50: null,
      p95: null,
      p99: null,
      max: null,
    });
  });
});

describe('perSecond', () => {
  it('scales a count over milliseconds to a rate per second', () => {
    expect(perSecond(50, 2000)).toBe(25);
  });

  it('is 0 when no time elapsed', () => {
    expect(perSecond(3, 0)).toBe(0);
  });
});

describe('phaseFigures', () => {
  const result = {
    latenciesMs: [30, 10, 20],
    errors: 1,
    rejections: 2,
    firstError: 'INTERNAL: boom',
    elapsedMs: 1500,
  };

  it('turns a load result into rates and a latency summary', () => {
    expect(phaseFigures(4, result)).toEqual({
      clients: 4,
      seconds: 1.5,
      ok: 3,
      errors: 1,
      conflicts: null,
      firstError: 'INTERNAL: boom',
      perSecond: 2,
      latencyMs: { count: 3, p50: 20, p95: 30, p99: 30, max: 30 },
    });
  });

  it('reports the refusals as conflicts only for a phase that counts them', () => {
    expect(phaseFigures(4, result, { countsConflicts: true }).conflicts).toBe(2);
  });
});
