import { connect } from 'amqplib';
import { TestResource, createTestDatabase, createTestVhost } from '@servicedesk/testing';
import { freePorts } from '../src/bench-infrastructure';
import { ALL_PROCESSES, GATEWAY_PROCESS, SUBGRAPH_PROCESSES } from '../src/processes';
import {
  ProcessExitError,
  ServiceStack,
  managementEnvironment,
  stackEnvironment,
} from '../src/start';
import { discardedOutput, occupiedPort, sourceCommand } from './support/source-processes';

/**
 * `npm start`'s supervisor, running every process from its sources: it brings the broker to
 * the planned topology before the services start, and when one of them stops on its own, it
 * says which and why, and stops the others.
 */

let database: TestResource;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
});

/** A stack of every process from its sources on `ports`, against the broker at `rabbitmqUrl`. */
async function stackOn(ports: ReadonlyMap<string, number>, rabbitmqUrl: string) {
  const said: string[] = [];
  const unexpectedExits: Array<[string, string]> = [];
  const managementPorts = await freePorts(ALL_PROCESSES.length);
  const stack = new ServiceStack({
    env: stackEnvironment(ports, {
      ...managementEnvironment(() => managementPorts.pop()!),
      NODE_ENV: 'test',
      DATABASE_URL: database.url,
      RABBITMQ_URL: rabbitmqUrl,
    }),
    output: discardedOutput(),
    say: (line) => said.push(line),
    onUnexpectedExit: (name, reason) => unexpectedExits.push([name, reason]),
    command: sourceCommand,
  });
  return { stack, said, unexpectedExits };
}

describe('the service stack, on a broker left with queues of an older version', () => {
  let vhost: TestResource;

  beforeAll(async () => {
    vhost = await createTestVhost();
  });

  afterAll(async () => {
    await vhost?.drop();
  });

  /** Queues as versions before quorum queues declared them, `parked` messages in the last. */
  async function declareClassicQueues(queues: readonly string[], parked: number): Promise<void> {
    const connection = await connect(vhost.url);
    try {
      const channel = await connection.createConfirmChannel();
      for (const queue of queues) await channel.assertQueue(queue, { durable: true });
      for (let n = 0; n < parked; n++) {
        channel.sendToQueue(queues[queues.length - 1], Buffer.from('{}'), { persistent: true });
      }
      await channel.waitForConfirms();
    } finally {
      await connection.close();
    }
  }

  it('migrates them before the services start, so that every service starts', async () => {
    await declareClassicQueues(
      ['audit.events', 'notification.deliveries', 'notification.deliveries.dlq'],
      1,
    );
    const free = await freePorts(ALL_PROCESSES.length);
    const { stack, said, unexpectedExits } = await stackOn(
      new Map(ALL_PROCESSES.map((spec) => [spec.name, free.pop()!])),
      vhost.url,
    );
    try {
      await stack.start();

      expect(unexpectedExits).toEqual([]);
      expect(said).toEqual(
        expect.arrayContaining([
          'audit.events: redeclared as planned, 0 message(s) kept',
          'notification.deliveries.dlq: redeclared as planned, 1 message(s) kept',
          'notification.deliveries: redeclared as planned, 0 message(s) kept',
          'every queue and binding is declared (3 queue(s) migrated)',
        ]),
      );
    } finally {
      await stack.stop();
    }
  });
});

describe('the service stack, when one of its processes cannot start', () => {
  let vhost: TestResource;

  beforeAll(async () => {
    vhost = await createTestVhost();
  });

  afterAll(async () => {
    await vhost?.drop();
  });

  /** A stack on free ports, but for `blocked`, whose port another program holds. */
  async function stackWithPortTaken(blocked: string) {
    const holder = await occupiedPort();
    const free = await freePorts(ALL_PROCESSES.length);
    const ports = new Map(
      ALL_PROCESSES.map((spec) => [spec.name, spec.name === blocked ? holder.port : free.pop()!]),
    );
    return { ...(await stackOn(ports, vhost.url)), holder, ports };
  }

  it('names a subgraph whose port is taken, with its fatal line, and stops the other subgraphs', async () => {
    const { stack, holder, said, unexpectedExits } = await stackWithPortTaken('ticket');
    try {
      const failure = await stack.start().then(
        () => undefined,
        (error: unknown) => error,
      );

      const reason = `exited with code 1 (its last fatal line: "ticket could not start: port ${holder.port} is already in use")`;
      expect(failure).toBeInstanceOf(ProcessExitError);
      expect(failure).toMatchObject({ process: 'ticket', reason });
      expect(unexpectedExits).toEqual([['ticket', reason]]);
      const others = SUBGRAPH_PROCESSES.filter((spec) => spec.name !== 'ticket');
      expect(said).toEqual(expect.arrayContaining(others.map((spec) => `${spec.name} stopped`)));
      expect(said).not.toContain(`${GATEWAY_PROCESS.name} stopped`);
    } finally {
      await stack.stop();
      await holder.release();
    }
  });

  it('stops every running subgraph when the gateway started last cannot listen', async () => {
    const { stack, holder, ports, said } = await stackWithPortTaken('gateway');
    try {
      await expect(stack.start()).rejects.toMatchObject({
        process: 'gateway',
        reason: `exited with code 1 (its last fatal line: "gateway could not start: port ${holder.port} is already in use")`,
      });

      expect(said).toEqual(
        expect.arrayContaining(SUBGRAPH_PROCESSES.map((spec) => `${spec.name} stopped`)),
      );
      for (const spec of SUBGRAPH_PROCESSES) {
        // They were ready (the gateway starts after them), and are no longer listening.
        await expect(
          fetch(`http://127.0.0.1:${ports.get(spec.name)}/health/live`),
        ).rejects.toThrow();
      }
    } finally {
      await stack.stop();
      await holder.release();
    }
  });
});
