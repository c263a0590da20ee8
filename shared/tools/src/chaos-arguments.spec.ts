import { ChaosUsageError, chaosUsage, parseChaosArguments } from './chaos-arguments';

const KNOWN = [
  { name: 'cold-start', profile: 'short' as const, summary: 'producers first' },
  { name: 'slow-database', profile: 'full' as const, summary: 'latency' },
  { name: 'poison', profile: 'short' as const, summary: 'malformed events' },
];

describe('parseChaosArguments', () => {
  it('runs every scenario, in catalogue order, by default', () => {
    expect(parseChaosArguments([], KNOWN)).toEqual({
      kind: 'run',
      profile: 'full',
      scenarios: ['cold-start', 'slow-database', 'poison'],
      json: false,
    });
  });

  it('keeps the short profile to its scenarios, and --scenario to the named ones', () => {
    expect(parseChaosArguments(['--profile', 'short', '--json'], KNOWN)).toMatchObject({
      scenarios: ['cold-start', 'poison'],
      json: true,
    });
    expect(
      parseChaosArguments(['--scenario', 'poison', '--scenario', 'slow-database'], KNOWN),
    ).toMatchObject({ scenarios: ['slow-database', 'poison'] });
  });

  it('refuses unknown profiles, scenarios and options with a readable reason', () => {
    expect(() => parseChaosArguments(['--profile', 'long'], KNOWN)).toThrow(
      new ChaosUsageError('--profile must be short or full, got "long"'),
    );
    expect(() => parseChaosArguments(['--scenario', 'flood'], KNOWN)).toThrow(
      'no scenario "flood" (scenarios: cold-start, slow-database, poison)',
    );
    expect(() => parseChaosArguments(['--fast'], KNOWN)).toThrow(ChaosUsageError);
    expect(parseChaosArguments(['-h'], KNOWN)).toEqual({ kind: 'help' });
  });

  it('lists the scenarios and marks those of the short profile', () => {
    expect(chaosUsage(KNOWN)).toContain('  slow-database          latency');
    expect(chaosUsage(KNOWN)).toContain('  cold-start     (short) producers first');
  });
});
