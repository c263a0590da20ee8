import { PipelineReport, RateFigures, renderPipelineReport } from './bench-pipeline-report';
import { StageFigures } from './bench-pipeline-stats';

function stage(p99: number, overrides: Partial<StageFigures> = {}): StageFigures {
  return {
    lagMs: { count: 500, p50: p99 / 2, p95: p99, p99, max: p99 + 1 },
    firstThirdP50: p99 / 2,
    lastThirdP50: p99 / 2,
    drainMs: 0,
    growing: false,
    signs: [],
    why: null,
    reached: 500,
    expected: 500,
    ...overrides,
  };
}

function atRate(rate: number, stages: Partial<RateFigures['stages']> = {}): RateFigures {
  return {
    rate,
    seconds: 10,
    createTicket: {
      started: rate * 10,
      ok: rate * 10,
      errors: 0,
      shed: 0,
      firstError: null,
      achievedPerSecond: rate,
      latencyMs: { count: rate * 10, p50: 20, p95: 40, p99: 50, max: 60 },
    },
    stages: {
      published: stage(10),
      audited: stage(80),
      inApp: stage(90),
      emailed: stage(200),
      ...stages,
    },
    grew: Object.values(stages).some((s) => s.growing),
    load: [1.5, 1.25, 1],
  };
}

function report(overrides: Partial<PipelineReport> = {}): PipelineReport {
  return {
    machine: { cpus: 2, cpuModel: 'Test CPU', node: 'v20', platform: 'linux x64', memoryGiB: 8 },
    settings: {
      durationSeconds: 10,
      rates: [10, 50],
      maxInFlight: 500,
      backlog: 2000,
      nodeEnv: 'production',
      logLevel: 'warn',
    },
    rates: [atRate(10), atRate(50)],
    highestSustainedRate: 50,
    drain: {
      events: 2000,
      audited: { count: 2000, spanMs: 800, perSecond: 2500 },
      inApp: { count: 2000, spanMs: 1600, perSecond: 1250 },
      emailed: { count: 2000, spanMs: 8000, perSecond: 250 },
      wallSeconds: 12.5,
      load: [2, 1, 0.5],
    },
    relay: {
      rows: 2000,
      batchSize: 100,
      relaySeconds: 1,
      relayPerSecond: 2000,
      rawSeconds: 0.5,
      rawPerSecond: 4000,
      ratio: 0.5,
      load: [2, 1, 0.5],
    },
    notes: [],
    ...overrides,
  };
}

const rowOf = (text: string, start: string) =>
  text.split('\n').find((line) => line.startsWith(start)) ?? '';

describe('renderPipelineReport', () => {
  it('puts the p99 targets beside the stages at 50 tickets/s only', () => {
    const text = renderPipelineReport(report());
    expect(rowOf(text, '50      audit recorded')).toMatch(/p99 ≤ 100, steady\s+yes$/);
    expect(rowOf(text, '50      email accepted')).toMatch(/p99 ≤ 250, steady\s+yes$/);
    expect(rowOf(text, '10      audit recorded')).toMatch(/steady\s+-\s+-$/);
  });

  it('fails a target on a p99 over it or a growing lag', () => {
    const text = renderPipelineReport(
      report({
        rates: [
          atRate(50, {
            audited: stage(101),
            inApp: stage(50, { growing: true, signs: ['drain'], why: 'drained late' }),
          }),
        ],
      }),
    );
    expect(rowOf(text, '50      audit recorded')).toMatch(/NO$/);
    expect(rowOf(text, '50      in-app row')).toMatch(/GROWING \(drain\).*NO$/);
  });

  it('gives each drain rate and the relay ratio against its target', () => {
    const text = renderPipelineReport(report());
    expect(rowOf(text, 'audit recorded  2000/2000')).toMatch(/2500\/s\s+≥ 2000\/s\s+yes$/);
    expect(rowOf(text, 'email accepted  2000/2000')).toMatch(/250\/s\s+≥ 300\/s\s+NO$/);
    expect(rowOf(text, 'outbox relay')).toMatch(/0\.50\s+≥ 0\.9 × raw\s+NO$/);
  });

  it('names the highest sustained rate and the load during each measurement', () => {
    const text = renderPipelineReport(report());
    expect(text).toContain('highest rate sustained without growing lag: 50 tickets/s');
    expect(text).toContain('load average during 50/s: 1.50, 1.25, 1.00');
  });

  it('says what was not measured, and the notes', () => {
    const text = renderPipelineReport(
      report({ drain: null, relay: null, highestSustainedRate: null, notes: ['a note'] }),
    );
    expect(text).toContain('highest rate sustained without growing lag: none');
    expect(text.match(/\(not measured\)/g)).toHaveLength(2);
    expect(text).toContain('note: a note');
  });
});
