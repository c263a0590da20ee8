import { BenchReport, renderReport } from './bench-report';
import { PhaseFigures } from './bench-stats';

function aPhase(overrides: Partial<PhaseFigures> = {}): PhaseFigures {
  return {
    clients: 8,
    seconds: 10,
    ok: 700,
    errors: 0,
    conflicts: null,
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
      slots: aPhase({ perSecond: 90 }),
      book: aPhase({ perSecond: 40, conflicts: 3 }),
      login: aPhase({ clients: 2, seconds: 5, ok: 100, perSecond: 20 }),
      pipeline: {
        events: 2500,
        drainMs: 2500,
        eventsPerSecond: 200,
        lagMs: { count: 2500, p50: 10, p95: 90, p99: 150, max: 300 },
      },
      notify: [
        {
          source: 'tickets',
          emails: 2500,
          drainMs: 1250,
          emailsPerSecond: 220,
          lagMs: { count: 2500, p50: 20, p95: 80, p99: 120, max: 400 },
        },
        { source: 'bookings', emails: 800, drainMs: 500, emailsPerSecond: 75.55, lagMs: null },
      ],
    },
    notes: [],
    ...overrides,
  };
}

describe('renderReport', () => {
  it('names the machine and the settings, then one row per phase and both pipelines', () => {
    const text = renderReport(aReport());
    expect(text).toContain('2 CPUs (Test CPU), 4 GiB, Node v20.0.0, linux x64');
    expect(text).toContain('8 clients for 10 s per phase (login: 2 clients for 5 s)');
    expect(text).toMatch(/^read +8 +10\.0 +700 +0 +- +70\.0 req\/s +12\.3 +40\.0 +80\.0 +120\.0$/m);
    expect(text).toMatch(/^write .* 250\.0 tickets\/s /m);
    expect(text).toMatch(/^slots .* 90\.0 req\/s /m);
    expect(text).toMatch(/^book +8 +10\.0 +700 +0 +3 +40\.0 bookings\/s /m);
    expect(text).toMatch(/^login .* 20\.0 logins\/s /m);
    expect(text).toMatch(/^2500 +2\.50 s +200\.0 events\/s +10\.0 +90\.0 +300\.0$/m);
    expect(text).toMatch(/^tickets +2500 +1\.25 s +220\.0 emails\/s +20\.0 +80\.0 +400\.0$/m);
    expect(text).toMatch(/^bookings +800 +0\.50 s +75\.5 emails\/s +- +- +-$/m);
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
    expect(text).toMatch(/^write +8 +10\.0 +0 +3 +- +0\.0 tickets\/s +- +- +- +-$/m);
    expect(text).toContain('(no ticket was written, so no event to follow)');
    expect(text).toContain('note: write: first error: UNAUTHENTICATED: token expired');
    expect(text).toContain('note: shared vhost');
  });

  it('says when no phase caused an email to follow, and why the book phase failed', () => {
    const report = aReport();
    report.figures.notify = [];
    report.figures.book = aPhase({ ok: 0, errors: 2, firstError: 'BAD_USER_INPUT: agentId' });
    const text = renderReport(report);
    expect(text).toContain('(no ticket written and no appointment booked, so no email to follow)');
    expect(text).toContain('note: book: first error: BAD_USER_INPUT: agentId');
  });
});
