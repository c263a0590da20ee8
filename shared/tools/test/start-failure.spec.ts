import {
  TestResource,
  createTcpProxy,
  createTestDatabase,
  createTestVhost,
  waitFor,
} from '@servicedesk/testing';
import { redactUrl } from '@servicedesk/platform';
import { freePorts } from '../src/bench-infrastructure';
import { ALL_PROCESSES, ProcessSpec, SUBGRAPH_PROCESSES } from '../src/processes';
import { ServiceStack, stackEnvironment, stackPorts } from '../src/start';
import {
  discardedOutput,
  occupiedPort,
  sourceCommand,
  startFromSource,
} from './support/source-processes';

/**
 * Each process of the platform run as `npm start` runs it, from its own `main`: one that
 * cannot start (port taken, PostgreSQL or RabbitMQ not answering in time) exits 1 with one
 * fatal line naming what failed, instead of staying up half-started.
 */

/** Long enough for a process to load its code and start; short of a hang. */
const EXIT_BOUND_MS = 20_000;
/** Short start-up bound, so that giving up on a dependency is quick to watch. */
const STARTUP_TIMEOUT_MS = 1500;

describe('a process that cannot start', () => {
  let database: TestResource;
  let vhost: TestResource;

  beforeAll(async () => {
    database = await createTestDatabase();
    vhost = await createTestVhost();
    // Migrated, so that a subgraph gets as far as its relay and consumers before it listens.
    await new ServiceStack({
      env: stackEnvironment(
        stackPorts((spec) => spec.defaultPort),
        {
          DATABASE_URL: database.url,
          RABBITMQ_URL: vhost.url,
        },
      ),
      output: discardedOutput(),
      say: () => undefined,
      onUnexpectedExit: () => undefined,
      command: sourceCommand,
    }).migrate();
  }, 60_000);

  afterAll(async () => {
    await vhost?.drop();
    await database?.drop();
  });

  function environment(spec: ProcessSpec, extra: Record<string, string>): Record<string, string> {
    return {
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      DATABASE_URL: database.url,
      RABBITMQ_URL: vhost.url,
      STARTUP_TIMEOUT_MS: String(STARTUP_TIMEOUT_MS),
      [spec.portVariable]: '0',
      [spec.managementPortVariable]: '0',
      ...extra,
    };
  }

  it.each(ALL_PROCESSES.map((spec) => [spec.name, spec] as const))(
    '%s exits 1 naming its port when another program holds it',
    async (name, spec) => {
      const holder = await occupiedPort();
      try {
        const service = startFromSource(
          spec,
          environment(spec, { [spec.portVariable]: String(holder.port) }),
        );
        const outcome = await service.exitWithin(EXIT_BOUND_MS);

        expect(outcome).toMatchObject({ code: 1 });
        expect(service.fatalMessages()).toEqual([
          `${name} could not start: port ${holder.port} is already in use`,
        ]);
      } finally {
        await holder.release();
      }
    },
  );

  it.each(ALL_PROCESSES.map((spec) => [spec.name, spec] as const))(
    '%s exits 1 naming its management port when another program holds it',
    async (name, spec) => {
      const holder = await occupiedPort();
      try {
        const service = startFromSource(
          spec,
          environment(spec, { [spec.managementPortVariable]: String(holder.port) }),
        );
        const outcome = await service.exitWithin(EXIT_BOUND_MS);

        expect(outcome).toMatchObject({ code: 1 });
        expect(service.fatalMessages()).toEqual([
          `${name} could not start: port ${holder.port} is already in use`,
        ]);
      } finally {
        await holder.release();
      }
    },
  );

  it('stops the consumers, relay and pool it had started before it exits', async () => {
    const spec = SUBGRAPH_PROCESSES.find((subgraph) => subgraph.name === 'ticket')!;
    const holder = await occupiedPort();
    try {
      const service = startFromSource(
        spec,
        environment(spec, { [spec.portVariable]: String(holder.port) }),
      );
      expect(await service.exitWithin(EXIT_BOUND_MS)).toMatchObject({ code: 1 });

      const messages = service.lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
      const failedAt = messages.indexOf(
        `ticket could not start: port ${holder.port} is already in use`,
      );
      const started = messages.indexOf('connected to the broker');
      expect(started).toBeGreaterThanOrEqual(0);
      expect(messages.slice(failedAt)).toEqual(
        expect.arrayContaining([
          'shutdown: application hooks done',
          'shutdown: database pool closed',
          'shutdown: complete',
        ]),
      );
    } finally {
      await holder.release();
    }
  });

  it.each(SUBGRAPH_PROCESSES.map((spec) => [spec.name, spec] as const))(
    '%s retries PostgreSQL and RabbitMQ for STARTUP_TIMEOUT_MS, then exits 1 naming both',
    async (name, spec) => {
      const [databasePort, brokerPort] = await freePorts(2);
      const service = startFromSource(
        spec,
        environment(spec, {
          DATABASE_URL: `postgres://postgres@127.0.0.1:${databasePort}/servicedesk`,
          RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${brokerPort}`,
        }),
      );
      const outcome = await service.exitWithin(EXIT_BOUND_MS);

      expect(outcome).toMatchObject({ code: 1 });
      expect(outcome!.elapsedMs).toBeGreaterThanOrEqual(STARTUP_TIMEOUT_MS);
      expect(service.fatalMessages()).toEqual([
        `${name} could not start: ` +
          `PostgreSQL at 127.0.0.1:${databasePort}/servicedesk is not reachable: connect ECONNREFUSED 127.0.0.1:${databasePort} (retried for 1.5 s, STARTUP_TIMEOUT_MS); ` +
          `RabbitMQ at amqp://guest:***@127.0.0.1:${brokerPort} is not reachable: connect ECONNREFUSED 127.0.0.1:${brokerPort} (retried for 1.5 s, STARTUP_TIMEOUT_MS)`,
      ]);
    },
  );

  /** A start-up bound the refusals below must not wait for: past EXIT_BOUND_MS. */
  const LONG_STARTUP_TIMEOUT_MS = 3 * EXIT_BOUND_MS;
  const audit = SUBGRAPH_PROCESSES.find((subgraph) => subgraph.name === 'audit')!;

  /** `url` pointing at another database or vhost, `name`. */
  function elsewhere(url: string, name: string): string {
    const moved = new URL(url);
    moved.pathname = `/${name}`;
    return moved.toString();
  }

  it('exits 1 at once, saying what to fix, when its database does not exist', async () => {
    const missing = `${new URL(database.url).pathname.slice(1)}_missing`;
    const url = elsewhere(database.url, missing);
    const service = startFromSource(
      audit,
      environment(audit, {
        DATABASE_URL: url,
        STARTUP_TIMEOUT_MS: String(LONG_STARTUP_TIMEOUT_MS),
      }),
    );
    const outcome = await service.exitWithin(EXIT_BOUND_MS);

    expect(outcome).toMatchObject({ code: 1 });
    const { hostname, port } = new URL(url);
    expect(service.fatalMessages()).toEqual([
      `audit could not start: PostgreSQL at ${hostname}:${port || 5432}/${missing} refused this process: ` +
        `database "${missing}" does not exist; create the database (\`npm run migrate\` does) or correct its name in DATABASE_URL (not retried)`,
    ]);
  });

  it('exits 1 at once, saying what to fix, when its RabbitMQ vhost does not exist', async () => {
    const missing = `${decodeURIComponent(new URL(vhost.url).pathname.slice(1))}_missing`;
    const url = elsewhere(vhost.url, missing);
    const service = startFromSource(
      audit,
      environment(audit, {
        RABBITMQ_URL: url,
        STARTUP_TIMEOUT_MS: String(LONG_STARTUP_TIMEOUT_MS),
      }),
    );
    const outcome = await service.exitWithin(EXIT_BOUND_MS);

    expect(outcome).toMatchObject({ code: 1 });
    expect(service.fatalMessages()).toEqual([
      `audit could not start: RabbitMQ at ${redactUrl(url)} refused this process: ` +
        `vhost "${missing}" not allowed (530 NOT_ALLOWED: it does not exist, or the user may not use it); ` +
        'create it and grant the user access (`rabbitmqctl add_vhost`, `rabbitmqctl set_permissions`) or correct RABBITMQ_URL (not retried)',
    ]);
  });

  it('waits for a database that comes up within STARTUP_TIMEOUT_MS, then starts', async () => {
    const target = new URL(database.url);
    const proxy = await createTcpProxy(target.hostname, Number(target.port || 5432));
    const [managementPort] = await freePorts(1);
    // The database is not up yet: its address refuses connections.
    proxy.cut();
    const service = startFromSource(
      audit,
      environment(audit, {
        DATABASE_URL: proxy.urlFor(database.url),
        STARTUP_TIMEOUT_MS: '20000',
        [audit.managementPortVariable]: String(managementPort),
      }),
    );
    try {
      await service.printed((line) => line.includes('is not reachable yet; retrying'));
      proxy.restore();

      const ready = `http://127.0.0.1:${managementPort}/health/ready`;
      await waitFor(async () => (await fetch(ready)).ok, {
        timeoutMs: EXIT_BOUND_MS,
        description: 'the audit service to be ready',
      });
      expect(service.fatalMessages()).toEqual([]);
    } finally {
      service.kill('SIGTERM');
      await service.exitWithin(EXIT_BOUND_MS);
      await proxy.close();
    }
  });
});
