import { createLogger } from './logger';
import {
  StartupDependency,
  StartupError,
  reasonOf,
  waitForDependencies,
} from './startup-dependencies';

const logger = createLogger('test', 'silent');

/** A dependency that refuses its first `failures` probes, then answers. */
function answeringAfter(name: string, failures: number) {
  const probes: number[] = [];
  const dependency: StartupDependency = {
    name,
    async probe(timeoutMs) {
      probes.push(timeoutMs);
      if (probes.length <= failures) throw new Error(`connect ECONNREFUSED (${name})`);
    },
  };
  return { dependency, probes };
}

describe('waitForDependencies', () => {
  it('retries a dependency that refuses until it answers', async () => {
    const { dependency, probes } = answeringAfter('PostgreSQL at db:5432', 3);

    await waitForDependencies([dependency], { timeoutMs: 10_000, logger });

    expect(probes).toHaveLength(4);
  });

  it('bounds each attempt by the time left, at most a few seconds', async () => {
    const { dependency, probes } = answeringAfter('RabbitMQ at amqp://mq', 0);

    await waitForDependencies([dependency], { timeoutMs: 60_000, logger });

    expect(probes[0]).toBeLessThanOrEqual(5000);
  });

  it('gives up after timeoutMs, naming each dependency that never answered and why', async () => {
    const database = answeringAfter('PostgreSQL at db:5432/servicedesk', Infinity);
    const broker = answeringAfter('RabbitMQ at amqp://mq', Infinity);
    const answering = answeringAfter('Another at somewhere', 0);
    const startedAt = Date.now();

    const failure = await waitForDependencies(
      [database.dependency, answering.dependency, broker.dependency],
      { timeoutMs: 400, logger },
    ).catch((error: unknown) => error);

    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(400);
    expect(failure).toBeInstanceOf(StartupError);
    expect((failure as Error).message).toBe(
      'PostgreSQL at db:5432/servicedesk is not reachable: connect ECONNREFUSED (PostgreSQL at db:5432/servicedesk) (retried for 0.4 s, STARTUP_TIMEOUT_MS); ' +
        'RabbitMQ at amqp://mq is not reachable: connect ECONNREFUSED (RabbitMQ at amqp://mq) (retried for 0.4 s, STARTUP_TIMEOUT_MS)',
    );
    expect(database.probes.length).toBeGreaterThan(1);
  });
});

describe('reasonOf', () => {
  it('explains a failed connection to several addresses by its parts', () => {
    const error = new AggregateError([
      new Error('connect ECONNREFUSED ::1:5432'),
      new Error('connect ECONNREFUSED 127.0.0.1:5432'),
    ]);

    expect(reasonOf(error)).toBe(
      'connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432',
    );
  });
});
