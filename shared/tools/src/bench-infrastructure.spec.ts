import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { freePorts } from './bench-infrastructure';

function listenOn(port: number): Promise<() => Promise<void>> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, () =>
      resolve(() => new Promise<void>((closed) => server.close(() => closed()))),
    );
  });
}

describe('freePorts', () => {
  it('gives distinct ports below the ephemeral range, each of which can then be listened on', async () => {
    const [ephemeralStart] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);

    const ports = await freePorts(24);

    expect(new Set(ports).size).toBe(24);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(ephemeralStart);
    }
    const closers = await Promise.all(ports.map(listenOn));
    await Promise.all(closers.map((close) => close()));
  });
});
