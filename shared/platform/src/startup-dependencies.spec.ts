import { createLogger } from './logger';
import {
  StartupDependency,
  StartupError,
  postgresRefusal,
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

/** An error as pg reports a refusal, with its SQLSTATE. */
const postgresError = (message: string, code: string) =>
  Object.assign(new Error(message), { code });

describe('waitForDependencies, when a dependency refuses for good', () => {
  it('fails at once saying what to fix, and stops waiting for the others', async () => {
    let databaseProbes = 0;
    const database: StartupDependency = {
      name: 'PostgreSQL at db:5432/nodb',
      async probe() {
        databaseProbes += 1;
        throw postgresError('database "nodb" does not exist', '3D000');
      },
      refusal: postgresRefusal,
    };
    const broker = answeringAfter('RabbitMQ at amqp://mq', Infinity);
    const startedAt = Date.now();

    const failure = await waitForDependencies([broker.dependency, database], {
      timeoutMs: 30_000,
      logger,
    }).catch((error: unknown) => error);

    expect(Date.now() - startedAt).toBeLessThan(5000);
    expect(failure).toBeInstanceOf(StartupError);
    expect((failure as Error).message).toBe(
      'PostgreSQL at db:5432/nodb refused this process: database "nodb" does not exist; ' +
        'create the database (`npm run migrate` does) or correct its name in DATABASE_URL (not retried)',
    );
    expect(databaseProbes).toBe(1);
  });

  it('retries an error its refusal leaves to waiting', async () => {
    const { dependency, probes } = answeringAfter('PostgreSQL at db:5432/servicedesk', 2);

    await waitForDependencies([{ ...dependency, refusal: postgresRefusal }], {
      timeoutMs: 10_000,
      logger,
    });

    expect(probes).toHaveLength(3);
  });
});

describe('postgresRefusal', () => {
  it.each([
    [
      '28P01',
      'password authentication failed for user "postgres"',
      'correct the user or password in DATABASE_URL',
    ],
    [
      '28000',
      'role "nobody" does not exist',
      "correct the user in DATABASE_URL, or let the server's pg_hba.conf accept it",
    ],
    [
      '3D000',
      'database "nodb" does not exist',
      'create the database (`npm run migrate` does) or correct its name in DATABASE_URL',
    ],
  ])('fails %s at once: %s', (code, message, fix) => {
    expect(postgresRefusal(postgresError(message, code))).toBe(`${message}; ${fix}`);
  });

  it.each([
    [
      'a server not listening yet',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    ],
    ['a server starting up (57P03)', postgresError('the database system is starting up', '57P03')],
    [
      'a server out of connections (53300)',
      postgresError('sorry, too many clients already', '53300'),
    ],
    ['a connection timeout', new Error('Connection terminated due to connection timeout')],
  ])('leaves %s to retries', (_what, error) => {
    expect(postgresRefusal(error)).toBeUndefined();
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
