import { cpuMsOf, rssMibOf } from './bench-gateway-process';

describe('a process as /proc shows it', () => {
  it('gives its CPU time as Node counts it, to the clock tick', () => {
    const busyUntil = performance.now() + 50;
    while (performance.now() < busyUntil);
    const { user, system } = process.cpuUsage();

    const cpuMs = cpuMsOf(process.pid);

    // /proc counts in 10 ms ticks, and this process keeps running between the two reads.
    expect(cpuMs).toBeGreaterThan((user + system) / 1000 - 20);
    expect(cpuMs).toBeLessThan((user + system) / 1000 + 50);
  });

  it('gives its resident memory in MiB', () => {
    const rss = rssMibOf(process.pid);

    expect(rss).toBeGreaterThan(process.memoryUsage().rss / 2 ** 20 - 8);
    expect(rss).toBeLessThan(process.memoryUsage().rss / 2 ** 20 + 8);
  });
});
