import { z } from 'zod';
import {
  ConfigError,
  baseConfigShape,
  databasePoolShape,
  loadConfig,
  requirePoolFor,
} from './config';
import { applicationName, minimumPoolSize, processConnections } from './database-pool';

/** A service whose handlers open a separate transaction inside their own, like the notification's. */
const nestingService = z
  .object({ ...baseConfigShape, ...databasePoolShape(12) })
  .superRefine(
    requirePoolFor((config) => ({ handlers: config.CONSUMER_PREFETCH, connectionsPerHandler: 2 })),
  );

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(nestingService, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

describe('minimumPoolSize', () => {
  it('leaves one connection free when every handler holds all but its last one', () => {
    expect(minimumPoolSize({ handlers: 10, connectionsPerHandler: 2 })).toBe(11);
    expect(minimumPoolSize({ handlers: 4, connectionsPerHandler: 3 })).toBe(9);
  });

  it('asks no more than a migration needs of handlers that hold one connection each', () => {
    expect(minimumPoolSize({ handlers: 20, connectionsPerHandler: 1 })).toBe(2);
    expect(minimumPoolSize({ handlers: 0, connectionsPerHandler: 2 })).toBe(2);
  });
});

describe('connections of a process', () => {
  it('counts the LISTEN session on top of the pool', () => {
    expect(processConnections(7)).toBe(8);
  });

  it('names them after the service, the LISTEN session apart', () => {
    expect(applicationName('ticket')).toBe('servicedesk-ticket');
    expect(applicationName('ticket', 'listener')).toBe('servicedesk-ticket-listener');
  });
});

describe('pool configuration', () => {
  it("takes the service's default pool and a bounded wait for a connection", () => {
    expect(loadConfig(nestingService, {})).toMatchObject({
      DATABASE_POOL_SIZE: 12,
      DATABASE_POOL_ACQUIRE_TIMEOUT_MS: 5000,
    });
  });

  it('reads both variables', () => {
    expect(
      loadConfig(nestingService, {
        DATABASE_POOL_SIZE: '30',
        DATABASE_POOL_ACQUIRE_TIMEOUT_MS: '1500',
      }),
    ).toMatchObject({ DATABASE_POOL_SIZE: 30, DATABASE_POOL_ACQUIRE_TIMEOUT_MS: 1500 });
  });

  it('refuses a pool too small to migrate on', () => {
    expect(configError({ DATABASE_POOL_SIZE: '1', CONSUMER_PREFETCH: '1' }).message).toContain(
      'DATABASE_POOL_SIZE',
    );
  });

  it('refuses a pool on which the handlers could deadlock, naming both variables and the bound', () => {
    const { message } = configError({ CONSUMER_PREFETCH: '20' });

    expect(message).toContain('DATABASE_POOL_SIZE=12');
    expect(message).toContain('CONSUMER_PREFETCH=20');
    expect(message).toContain('at least 21');
  });

  it('accepts the same prefetch once the pool holds it', () => {
    expect(() =>
      loadConfig(nestingService, { CONSUMER_PREFETCH: '20', DATABASE_POOL_SIZE: '21' }),
    ).not.toThrow();
  });
});
