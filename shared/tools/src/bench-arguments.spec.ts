import { BenchUsageError, parseBenchArguments } from './bench-arguments';

describe('parseBenchArguments', () => {
  it('runs for 20 s with 16 clients and prints a table by default', () => {
    expect(parseBenchArguments([])).toEqual({
      kind: 'run',
      durationSeconds: 20,
      concurrency: 16,
      json: false,
      gateway: false,
    });
  });

  it('takes the duration, the concurrency and --json', () => {
    expect(parseBenchArguments(['--duration', '10', '--concurrency=8', '--json'])).toEqual({
      kind: 'run',
      durationSeconds: 10,
      concurrency: 8,
      json: true,
      gateway: false,
    });
  });

  it('asks for help with --help or -h', () => {
    expect(parseBenchArguments(['--help'])).toEqual({ kind: 'help' });
    expect(parseBenchArguments(['-h', '--duration', '5'])).toEqual({ kind: 'help' });
  });

  it.each([
    [['--duration', '0'], '--duration must be a whole number from 1 to 300, got "0"'],
    [['--duration', '2.5'], '--duration must be a whole number from 1 to 300, got "2.5"'],
    [['--concurrency', '1000'], '--concurrency must be a whole number from 1 to 256, got "1000"'],
    [['--concurrency', 'many'], '--concurrency must be a whole number from 1 to 256, got "many"'],
  ])('rejects %j', (argv, message) => {
    expect(() => parseBenchArguments(argv)).toThrow(new BenchUsageError(message));
  });

  it('rejects unknown options and stray arguments', () => {
    expect(() => parseBenchArguments(['--durations', '5'])).toThrow(BenchUsageError);
    expect(() => parseBenchArguments(['fast'])).toThrow(BenchUsageError);
    expect(() => parseBenchArguments(['--duration'])).toThrow(BenchUsageError);
  });
});
