import { createLogger } from './logger';
import { PeriodicTask } from './periodic-task';

describe('PeriodicTask', () => {
  const logger = createLogger('periodic-task-spec', 'silent');

  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('runs every interval, counted from the end of the previous run', async () => {
    const starts: number[] = [];
    const task = new PeriodicTask({
      name: 'work',
      intervalMs: 100,
      logger,
      run: async () => {
        starts.push(Date.now());
        await new Promise((resolve) => setTimeout(resolve, 50));
      },
    });
    const begin = Date.now();

    task.start();
    await jest.advanceTimersByTimeAsync(500);
    await task.stop();

    expect(starts.map((start) => start - begin)).toEqual([100, 250, 400]);
  });

  it('goes on after a failed run, logging it', async () => {
    const error = jest.spyOn(logger, 'error');
    let runs = 0;
    const task = new PeriodicTask({
      name: 'flaky work',
      intervalMs: 10,
      logger,
      run: async () => {
        runs += 1;
        if (runs === 1) throw new Error('database busy');
      },
    });

    task.start();
    await jest.advanceTimersByTimeAsync(35);
    await task.stop();

    expect(runs).toBe(3);
    expect(error).toHaveBeenCalledWith(
      { err: expect.any(Error) },
      'flaky work failed; retrying next run',
    );
  });

  it('waits for the run in progress when stopped, and starts no other', async () => {
    let finished = false;
    let runs = 0;
    const task = new PeriodicTask({
      name: 'work',
      intervalMs: 10,
      logger,
      run: async () => {
        runs += 1;
        await new Promise((resolve) => setTimeout(resolve, 100));
        finished = true;
      },
    });
    task.start();
    await jest.advanceTimersByTimeAsync(20);

    const stopped = task.stop();
    expect(task.stopping).toBe(true);
    await jest.advanceTimersByTimeAsync(200);
    await stopped;

    expect(finished).toBe(true);
    expect(runs).toBe(1);
  });

  it('never runs on a timer with an interval of 0', async () => {
    const run = jest.fn(async () => undefined);
    const task = new PeriodicTask({ name: 'work', intervalMs: 0, logger, run });

    task.start();
    await jest.advanceTimersByTimeAsync(10_000);
    await task.stop();

    expect(run).not.toHaveBeenCalled();
  });
});
