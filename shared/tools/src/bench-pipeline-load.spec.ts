import { callsDue, runOpenLoop } from './bench-pipeline-load';

describe('callsDue', () => {
  it('makes the first call due at once and one more every 1/rate', () => {
    expect(callsDue(0, 10, 1000)).toBe(1);
    expect(callsDue(99, 10, 1000)).toBe(1);
    expect(callsDue(100, 10, 1000)).toBe(2);
    expect(callsDue(950, 10, 1000)).toBe(10);
  });

  it('never schedules more than rate × duration calls', () => {
    expect(callsDue(5000, 10, 1000)).toBe(10);
    expect(callsDue(5000, 3, 1000)).toBe(3);
  });

  it('has nothing due before the start', () => {
    expect(callsDue(-1, 10, 1000)).toBe(0);
  });
});

describe('runOpenLoop', () => {
  const signal = new AbortController().signal;

  it('starts every scheduled call, each with its own index, and times the answers', async () => {
    const indexes: number[] = [];
    const result = await runOpenLoop({
      rate: 100,
      durationMs: 200,
      maxInFlight: 50,
      signal,
      operation: async (index) => {
        indexes.push(index);
      },
    });
    expect(indexes).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(result).toMatchObject({ started: 20, shed: 0, errors: 0, firstError: null });
    expect(result.latenciesMs).toHaveLength(20);
  });

  it('keeps to the schedule while earlier calls are unanswered', async () => {
    const answers: Array<() => void> = [];
    const loop = runOpenLoop({
      rate: 100,
      durationMs: 100,
      maxInFlight: 50,
      signal,
      operation: () => new Promise<void>((resolve) => answers.push(resolve)),
    });
    // Every call was started although none has answered.
    while (answers.length < 10) await new Promise((resolve) => setTimeout(resolve, 5));
    const answeredAt = Date.now();
    for (const answer of answers) answer();
    const result = await loop;
    expect(result.started).toBe(10);
    expect(result.lastAnswerAt).toBeGreaterThanOrEqual(answeredAt);
  });

  it('sheds the calls due while maxInFlight are unanswered', async () => {
    const answers: Array<() => void> = [];
    const loop = runOpenLoop({
      rate: 100,
      durationMs: 100,
      maxInFlight: 3,
      signal,
      operation: () => new Promise<void>((resolve) => answers.push(resolve)),
    });
    const early = await Promise.race([loop, new Promise((r) => setTimeout(r, 300, 'pending'))]);
    expect(early).toBe('pending');
    for (const answer of answers) answer();
    const result = await loop;
    expect(result).toMatchObject({ started: 3, shed: 7, errors: 0 });
  });

  it('counts failures with the first one, without timing them', async () => {
    const result = await runOpenLoop({
      rate: 100,
      durationMs: 50,
      maxInFlight: 10,
      signal,
      operation: (index) =>
        index % 2 === 0 ? Promise.reject(new Error(`no ${index}`)) : Promise.resolve(),
    });
    expect(result).toMatchObject({ started: 5, errors: 3, firstError: 'no 0' });
    expect(result.latenciesMs).toHaveLength(2);
  });

  it('stops when aborted', async () => {
    const abort = new AbortController();
    abort.abort(new Error('stop'));
    await expect(
      runOpenLoop({
        rate: 10,
        durationMs: 1000,
        maxInFlight: 10,
        signal: abort.signal,
        operation: () => Promise.resolve(),
      }),
    ).rejects.toThrow('stop');
  });
});
