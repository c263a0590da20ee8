import { BenchUsageError, parseBenchArguments } from './bench-arguments';

describe('parseBenchArguments', () => {
  it('runs for 20 s with 16 clients and prints a table by default', () => {
    expect(parseBenchArguments([])).toEqual({
      kind: 'run',
      durationSeconds: 20,
      concurrency: 16,
      json: false,
      gateway: false,
      pipeline: false,
      rates: [10, 20, 30, 50],
    });
  });

  it('takes the duration, the concurrency and --json', () => {
    expect(parseBenchArguments(['--duration', '10', '--concurrency=8', '--json'])).toEqual({
      kind: 'run',
      durationSeconds: 10,
      concurrency: 8,
      json: true,
      gateway: false,
      pipeline: false,
      rates: [10, 20, 30, 50],
    });
  });

  it('runs the pipeline at 10, 20, 30 and 50 tickets/s by default', () => {
    expect(parseBenchArguments(['--pipeline', '--duration', '10'])).toMatchObject({
      kind: 'run',
      durationSeconds: 10,
      pipeline: true,
      gateway: false,
      rates: [10, 20, 30, 50],
    });
  });

  it('takes the pipeline rates as a list, ascending and without repeats', () => {
    expect(parseBenchArguments(['--pipeline', '--rates', '50,10, 20,10'])).toMatchObject({
      pipeline: true,
      rates: [10, 20, 50],
    });
    expect(parseBenchArguments(['--pipeline', '--rates=5'])).toMatchObject({ rates: [5] });
  });

  it.each([
    [['--pipeline', '--rates', '10,,20']],
    [['--pipeline', '--rates', '0']],
    [['--pipeline', '--rates', '2.5']],
    [['--pipeline', '--rates', '1001']],
    [['--pipeline', '--rates', 'fast']],
  ])('rejects the rates of %j', (argv) => {
    expect(() => parseBenchArguments(argv)).toThrow(
      new BenchUsageError(
        `--rates must be whole numbers from 1 to 1000 separated by commas, got "${argv[2]}"`,
      ),
    );
  });

  it('refuses --rates without --pipeline, and --pipeline with --gateway', () => {
    expect(() => parseBenchArguments(['--rates', '10'])).toThrow(
      new BenchUsageError('--rates applies to --pipeline only'),
    );
    expect(() => parseBenchArguments(['--pipeline', '--gateway'])).toThrow(
      new BenchUsageError('--gateway and --pipeline are two different runs: pick one'),
    );
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
