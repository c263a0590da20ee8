import {
  drainRate,
  highestSustainedRate,
  stageFigures,
  stageLag,
  StageSample,
} from './bench-pipeline-stats';

/** A phase of 9 s from t = 0 whose last answer came at 9 s. */
const PHASE = { startedAt: 0, durationMs: 9000, lastAnswerAt: 9000 };

/** One event per second from 0 to 8 s, each reaching the stage `lag(second)` ms later. */
function samples(lag: (second: number) => number): StageSample[] {
  return Array.from({ length: 9 }, (_, second) => ({
    occurredAt: second * 1000,
    reachedAt: second * 1000 + lag(second),
  }));
}

describe('stageLag', () => {
  it('summarises reachedAt − occurredAt over the phase', () => {
    const lag = stageLag(
      samples((s) => 10 + s),
      PHASE,
    );
    expect(lag.lagMs).toMatchObject({ count: 9, p50: 14, p99: 18, max: 18 });
  });

  it('compares the median lag of the events committed in the first and the last third', () => {
    const lag = stageLag(
      samples((s) => [10, 20, 30, 40, 50, 60, 70, 80, 90][s]),
      PHASE,
    );
    expect(lag.firstThirdP50).toBe(20);
    expect(lag.lastThirdP50).toBe(80);
  });

  it('does not call a steady lag growing', () => {
    const lag = stageLag(
      samples(() => 40),
      PHASE,
    );
    expect(lag.growing).toBe(false);
    expect(lag.signs).toEqual([]);
    expect(lag.why).toBeNull();
  });

  it('allows the last third twice the first third plus 50 ms, and no more', () => {
    // first third 20 ms: the bound is 90 ms.
    const atBound = stageLag(
      samples((s) => (s < 3 ? 20 : s < 6 ? 50 : 90)),
      PHASE,
    );
    expect(atBound.growing).toBe(false);
    const past = stageLag(
      samples((s) => (s < 3 ? 20 : s < 6 ? 50 : 91)),
      PHASE,
    );
    expect(past.growing).toBe(true);
    expect(past.signs).toEqual(['thirds']);
    expect(past.why).toBe('median lag 20 ms in the first third, 91 ms in the last');
  });

  it('calls a backlog still draining 5 s after the last answer growing', () => {
    const within = stageLag([{ occurredAt: 8000, reachedAt: 14_000 }], PHASE);
    expect(within.drainMs).toBe(5000);
    expect(within.growing).toBe(false);
    const late = stageLag([{ occurredAt: 8000, reachedAt: 14_001 }], PHASE);
    expect(late.growing).toBe(true);
    expect(late.signs).toEqual(['drain']);
    expect(late.why).toBe('backlog drained 5.0 s after the last answer');
  });

  it('counts no drain time for a stage that was done before the last answer', () => {
    expect(stageLag([{ occurredAt: 0, reachedAt: 100 }], PHASE).drainMs).toBe(0);
  });

  it('cannot tell growth without events in both thirds', () => {
    const lag = stageLag([{ occurredAt: 0, reachedAt: 100 }], PHASE);
    expect(lag.lastThirdP50).toBeNull();
    expect(lag.growing).toBe(false);
  });

  it('has no figures without samples', () => {
    const lag = stageLag([], PHASE);
    expect(lag.lagMs).toEqual({ count: 0, p50: null, p95: null, p99: null, max: null });
    expect(lag.drainMs).toBe(0);
    expect(lag.growing).toBe(false);
  });
});

describe('stageFigures', () => {
  it('counts the events that reached the stage', () => {
    const figures = stageFigures(
      samples(() => 40),
      9,
      PHASE,
      60_000,
    );
    expect(figures).toMatchObject({ reached: 9, expected: 9, growing: false, why: null });
  });

  it('calls a stage that some events never reached growing, and says how many', () => {
    const figures = stageFigures(
      samples(() => 40),
      12,
      PHASE,
      60_000,
    );
    expect(figures).toMatchObject({ reached: 9, expected: 12, growing: true, signs: ['missing'] });
    expect(figures.why).toBe('3 never arrived within 60 s');
  });

  it('gives both reasons when the lag grew as well', () => {
    const figures = stageFigures([{ occurredAt: 8000, reachedAt: 20_000 }], 2, PHASE, 60_000);
    expect(figures.why).toBe(
      'backlog drained 11.0 s after the last answer; 1 never arrived within 60 s',
    );
  });
});

describe('highestSustainedRate', () => {
  it('is the highest rate at which nothing grew', () => {
    expect(
      highestSustainedRate([
        { rate: 10, grew: false },
        { rate: 20, grew: false },
        { rate: 30, grew: true },
      ]),
    ).toBe(20);
  });

  it('counts a rate that kept up above one that did not', () => {
    expect(
      highestSustainedRate([
        { rate: 10, grew: false },
        { rate: 20, grew: true },
        { rate: 30, grew: false },
      ]),
    ).toBe(30);
  });

  it('is null when every rate grew, or none ran', () => {
    expect(highestSustainedRate([{ rate: 10, grew: true }])).toBeNull();
    expect(highestSustainedRate([])).toBeNull();
  });
});

describe('drainRate', () => {
  it('counts the items after the first over the span from the first to the last', () => {
    expect(drainRate([1500, 1000, 2000])).toEqual({ count: 3, spanMs: 1000, perSecond: 2 });
  });

  it('is 0/s for one item or none', () => {
    expect(drainRate([1000])).toEqual({ count: 1, spanMs: 0, perSecond: 0 });
    expect(drainRate([])).toEqual({ count: 0, spanMs: 0, perSecond: 0 });
  });
});
