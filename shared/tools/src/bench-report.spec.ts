import { BenchReport, renderReport } from './bench-report';
import { PhaseFigures } from './bench-scenario';

function aPhase(overrides: Partial<PhaseFigures> = {}): PhaseFigures {
  return {
    clients: 8,
    seconds: 10,
    ok: 700,
    errors: 0,
    firstError: null,
    perSecond: 70,
    latencyMs: { count: 700, p50: 12.34, p95: 40, p99: 80, max: 120 },
    ...overrides,
  };
}

function aReport(overrides: Partial<BenchReport> = {}): BenchReport {
  return {
    machine: {
      cpus: 2,
      cpuModel: 'Test CPU',
      node: 'v20.0.0',
      platform: 'linux x64',
      memoryGiB: 4,
    },
    settings: { durationSeconds: 10, concurrency: 8, nodeEnv: 'production', logLevel: 'warn' },
    figures: {
      read: aPhase(),
      write: aPhase({ perSecond: 250 }),
      login: aPhase({ clients: 2, seconds: 5, ok: 100, perSecond: 20 }),
      pipeline: {
        events: 2500,
        drainMs: 2500,
        eventsPerSecond: 200,
        lagMs: { count: 2500, p50: 10, p95: 90, p99: 150, max: 300 },
      },
    },
    notes: [],
    ...overrides,
  };
}

describe('renderReport', () => {
  it('names the machine and the settings, then one row per phase and the pipeline', () => {
    const text = renderReport(aReport());
    expect(text).toContain('2 CPUs (Test CPU), 4 GiB, Node v20.0.0, linux x64');
    expect(text).toContain('8 clients for 10 s per phase (login: 2 clients for 5 s)');
    expect(text).toMatch(/^read +8 +10\.0 +700 +0 +70\.0 req\/s +12\.3 +40\.0 +80\.0 +120\.0$/m);
    expect(text).toMatch(/^write .* 250\.0 tickets\/s /m);
    expect(text).toMatch(/^login .* 20\.0 logins\/s /m);
    expect(text).toMatch(/^2500 +2\.50 s +200\.0 events\/s +10\.0 +90\.0 +300\.0$/m);
    expect(text).not.toContain('note:');
  });

  it('shows a phase without successes with dashes, and why it failed', () => {
    const failed = aPhase({
      ok: 0,
      errors: 3,
      firstError: 'UNAUTHENTICATED: token expired',
      perSecond: 0,
      latencyMs: { count: 0, p50: null, p95: null, p99: null, max: null },
    });
    const report = aReport({ notes: ['shared vhost'] });
    report.figures.write = failed;
    report.figures.pipeline = null;
    const text = renderReport(report);
    expect(text).toMatch(/^write +8 +10\.0 +0 +3 +0\.0 tickets\/s +- +- +- +-$/m);
    expect(text).toContain('(no ticket was written, so no event to follow)');
    expect(text).toContain('note: write: first error: UNAUTHENTICATED: token expired');
    expect(text).toContain('note: shared vhost');
  });
});
