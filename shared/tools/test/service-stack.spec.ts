import { TestResource, createTestDatabase, createTestVhost } from '@servicedesk/testing';
import { freePorts } from '../src/bench-infrastructure';
import { ALL_PROCESSES, GATEWAY_PROCESS, SUBGRAPH_PROCESSES } from '../src/processes';
import { ProcessExitError, ServiceStack, stackEnvironment } from '../src/start';
import { discardedOutput, occupiedPort, sourceCommand } from './support/source-processes';

/**
 * `npm start`'s supervisor, running every process from its sources: when one of them stops
 * on its own, it says which and why, and stops the others.
 */
describe('the service stack, when one of its processes cannot start', () => {
  let database: TestResource;
  let vhost: TestResource;

  beforeAll(async () => {
    database = await createTestDatabase();
    vhost = await createTestVhost();
  });

  afterAll(async () => {
    await vhost?.drop();
    await database?.drop();
  });

  /** A stack on free ports, but for `blocked`, whose port another program holds. */
  async function stackWithPortTaken(blocked: string) {
    const holder = await occupiedPort();
    const free = await freePorts(ALL_PROCESSES.length);
    const ports = new Map(
      ALL_PROCESSES.map((spec) => [spec.name, spec.name === blocked ? holder.port : free.pop()!]),
    );
    const said: string[] = [];
    const unexpectedExits: Array<[string, string]> = [];
    const stack = new ServiceStack({
      env: stackEnvironment(ports, {
        NODE_ENV: 'test',
        DATABASE_URL: database.url,
        RABBITMQ_URL: vhost.url,
      }),
      ports,
      output: discardedOutput(),
      say: (line) => said.push(line),
      onUnexpectedExit: (name, reason) => unexpectedExits.push([name, reason]),
      command: sourceCommand,
    });
    return { stack, holder, ports, said, unexpectedExits };
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
