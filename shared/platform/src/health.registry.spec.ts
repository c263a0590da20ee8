import { HealthRegistry, ReadinessCheck } from './health.registry';

const up = (name: string): ReadinessCheck => ({ name, check: async () => undefined });
const down = (name: string, message: string): ReadinessCheck => ({
  name,
  check: async () => {
    throw new Error(message);
  },
});

describe('HealthRegistry', () => {
  it('is ready when every check passes', async () => {
    const registry = new HealthRegistry([up('database')]);
    registry.register(up('broker'));

    expect(await registry.readiness()).toEqual({
      status: 'ready',
      checks: { database: { status: 'up' }, broker: { status: 'up' } },
    });
  });

  it('names the failing check and its error', async () => {
    const registry = new HealthRegistry([up('database'), down('broker', 'connection closed')]);

    expect(await registry.readiness()).toEqual({
      status: 'not_ready',
      checks: {
        database: { status: 'up' },
        broker: { status: 'down', error: 'connection closed' },
      },
    });
  });

  it('counts a check that never answers as down after its timeout', async () => {
    const hanging: ReadinessCheck = { name: 'hanging', check: () => new Promise(() => undefined) };
    const registry = new HealthRegistry([hanging], 20);

    const report = await registry.readiness();

    expect(report.checks.hanging).toEqual({ status: 'down', error: 'no answer within 20 ms' });
  });

  it('replaces a check registered again under the same name', async () => {
    const registry = new HealthRegistry([down('broker', 'old')]);
    registry.register(up('broker'));

    expect((await registry.readiness()).status).toBe('ready');
    expect(registry.names()).toEqual(['broker']);
  });

  it('is not ready once shutdown has started', async () => {
    const registry = new HealthRegistry([up('database')]);
    registry.markShuttingDown();

    const report = await registry.readiness();

    expect(report.status).toBe('not_ready');
    expect(report.checks.shutdown).toEqual({ status: 'down', error: 'shutting down' });
  });
});
