import type { CheckResult } from './chaos-checker';
import { renderChaosReport, scenarioResult } from './chaos-report';

const clean: CheckResult = {
  violations: [],
  sameIdResends: 0,
  acked: 40,
  errored: 2,
  maxLatencyMs: 812,
};

describe('chaos report', () => {
  it('counts violations by kind and passes a scenario only without any', () => {
    const result = scenarioResult(
      'database-cut',
      {
        ...clean,
        sameIdResends: 1,
        violations: [
          { kind: 'duplicated', what: 'email sent again under another Message-ID', detail: 'a' },
          { kind: 'stuck', what: 'messages left in a queue', detail: 'audit.events: 3' },
        ],
      },
      { drainMs: 4200, peakConnections: 31, notes: [] },
    );
    expect(result).toMatchObject({
      lost: 0,
      duplicated: 1,
      sameIdResends: 1,
      stuck: 1,
      passed: false,
    });
    expect(
      scenarioResult('poison', clean, { drainMs: 0, peakConnections: 9, notes: [] }).passed,
    ).toBe(true);
  });

  it('prints one row per scenario, then the details of each violation and the log folder', () => {
    const violations = Array.from({ length: 7 }, (_, n) => ({
      kind: 'lost' as const,
      what: 'audit entry missing',
      detail: `user.registered ${n}`,
    }));
    const text = renderChaosReport(
      [
        scenarioResult(
          'cold-start',
          { ...clean, violations },
          { drainMs: null, peakConnections: 30, notes: ['audit started late'] },
        ),
        scenarioResult('poison', clean, { drainMs: 1500, peakConnections: 28, notes: [] }),
      ],
      '/tmp/run',
    );
    const lines = text.split('\n');
    expect(lines[0]).toMatch(
      /^SCENARIO\s+ACKED\/ERRORED\s+LOST\s+DUPLICATED \(DIFF-ID\/SAME-ID\)\s+STUCK/,
    );
    expect(lines[2]).toMatch(
      /^cold-start\s+40\/2\s+7\s+0\/0\s+0\s+0\s+never\s+0\.8 s\s+30\s+FAIL$/,
    );
    expect(lines[3]).toMatch(/^poison\s+40\/2\s+0\s+0\/0\s+0\s+0\s+1\.5 s\s+0\.8 s\s+28\s+pass$/);
    expect(text).toContain('1 of 2 scenarios found violations');
    expect(text).toContain(
      [
        'cold-start:',
        '  lost: audit entry missing (7)',
        '    user.registered 0',
        '    user.registered 1',
        '    user.registered 2',
        '    user.registered 3',
        '    user.registered 4',
        '    … and 2 more',
        '  note: audit started late',
      ].join('\n'),
    );
    expect(text.endsWith('logs: /tmp/run')).toBe(true);
  });

  it('says why a run stopped before its scenarios were done', () => {
    const text = renderChaosReport([], '/tmp/run', 'ticket was not ready within 60 s');
    expect(text).toContain(
      'every scenario run passed (0)\nthe run stopped early: ticket was not ready within 60 s',
    );
  });
});
