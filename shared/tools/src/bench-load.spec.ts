import { runLoad } from './bench-load';

const noAbort = new AbortController().signal;

describe('runLoad', () => {
  it('stops after maxOperations calls, spread over every client', async () => {
    const callsPerClient = [0, 0, 0];
    const result = await runLoad({
      clients: 3,
      durationMs: 60_000,
      maxOperations: 30,
      signal: noAbort,
      operation: async (client) => {
        callsPerClient[client] += 1;
      },
    });
    expect(result.latenciesMs).toHaveLength(30);
    expect(result.errors).toBe(0);
    expect(callsPerClient.every((calls) => calls > 0)).toBe(true);
    expect(callsPerClient.reduce((a, b) => a + b)).toBe(30);
  });

  it('stops when the time is up', async () => {
    const result = await runLoad({
      clients: 2,
      durationMs: 0,
      maxOperations: 1000,
      signal: noAbort,
      operation: async () => undefined,
    });
    expect(result.latenciesMs).toHaveLength(0);
  });

  it('counts failures apart from the timed successes and keeps the first reason', async () => {
    let call = 0;
    const result = await runLoad({
      clients: 1,
      durationMs: 60_000,
      maxOperations: 5,
      signal: noAbort,
      operation: async () => {
        call += 1;
        if (call % 2 === 0) throw new Error(`failure ${call}`);
      },
    });
    expect(result.latenciesMs).toHaveLength(3);
    expect(result.errors).toBe(2);
    expect(result.firstError).toBe('failure 2');
  });

  it('counts refusals that isRejection recognises apart from errors and timings', async () => {
    let call = 0;
    const result = await runLoad({
      clients: 1,
      durationMs: 60_000,
      maxOperations: 6,
      signal: noAbort,
      operation: async () => {
        call += 1;
        if (call % 3 === 0) throw new Error('CONFLICT: slot taken');
        if (call === 4) throw new Error('INTERNAL: boom');
      },
      isRejection: (error) => (error as Error).message.startsWith('CONFLICT'),
    });
    expect(result.rejections).toBe(2);
    expect(result.errors).toBe(1);
    expect(result.firstError).toBe('INTERNAL: boom');
    expect(result.latenciesMs).toHaveLength(3);
  });

  it('ends the phase with the abort reason once the signal fires', async () => {
    const controller = new AbortController();
    const run = runLoad({
      clients: 2,
      durationMs: 60_000,
      maxOperations: 1000,
      signal: controller.signal,
      operation: async () => {
        controller.abort(new Error('interrupted'));
        throw new Error('request aborted');
      },
    });
    await expect(run).rejects.toThrow('interrupted');
  });
});
