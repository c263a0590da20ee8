import { Writable } from 'node:stream';
import { ACCESS_LOG_MESSAGE, OK_OUTCOME, createLogger } from '@servicedesk/platform';
import { waitFor } from '@servicedesk/testing';
import { createTicket, register } from './actors';
import { Stack, startStack } from './stack';

type LogLine = Record<string, unknown>;

/** The fields every access line carries, in the gateway and in every subgraph (docs/logging.md). */
const ACCESS_FIELDS = [
  'service',
  'operationName',
  'operationType',
  'outcome',
  'status',
  'durationMs',
  'correlationId',
];

describe('logs an operator can follow', () => {
  let stack: Stack;
  const lines: LogLine[] = [];
  const collect = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as LogLine);
      done();
    },
  });

  beforeAll(async () => {
    // At info, as the services run by default.
    stack = await startStack({}, { logger: (name) => createLogger(name, 'info', collect) });
  });

  afterAll(async () => {
    await stack?.close();
  });

  const accessLines = (correlationId: unknown) =>
    lines.filter((line) => line.msg === ACCESS_LOG_MESSAGE && line.correlationId === correlationId);

  it('writes one access line per operation in the gateway and the subgraph, and one line per consumed event, under one correlation id', async () => {
    const customer = await register(stack, 'Logan');

    await createTicket(customer, { title: 'Logs for the printer' });

    const atGateway = lines.find(
      (line) =>
        line.service === 'gateway' &&
        line.msg === ACCESS_LOG_MESSAGE &&
        line.operationName === 'createTicket',
    );
    expect(atGateway).toMatchObject({
      level: 'info',
      operationType: 'mutation',
      outcome: OK_OUTCOME,
      status: 200,
      userId: customer.id,
    });
    const correlationId = atGateway!.correlationId;
    expect(correlationId).toEqual(expect.any(String));
    expect(atGateway!.durationMs).toEqual(expect.any(Number));

    const atTicket = accessLines(correlationId).filter((line) => line.service === 'ticket');
    expect(atTicket).toHaveLength(1);
    expect(atTicket[0]).toMatchObject({ outcome: OK_OUTCOME, userId: customer.id });
    for (const line of [atGateway!, atTicket[0]]) {
      expect(Object.keys(line)).toEqual(expect.arrayContaining(ACCESS_FIELDS));
    }

    const consumed = await waitFor(
      () =>
        lines.find(
          (line) =>
            line.service === 'audit' &&
            line.msg === 'event consumed' &&
            line.eventType === 'ticket.created' &&
            line.correlationId === correlationId,
        ),
      { description: "the audit service's line for ticket.created" },
    );
    expect(consumed).toMatchObject({
      level: 'info',
      outcome: 'processed',
      attempt: 1,
      durationMs: expect.any(Number),
    });
  });

  it('names the error code as the outcome of a refused operation', async () => {
    const response = await stack.api.query('query Me { me { id } }');
    expect(response.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');

    const atGateway = lines.filter(
      (line) =>
        line.service === 'gateway' &&
        line.msg === ACCESS_LOG_MESSAGE &&
        line.operationName === 'Me',
    );
    expect(atGateway).toEqual([expect.objectContaining({ outcome: 'UNAUTHENTICATED' })]);
  });

  it('writes no access line for probes and metrics', async () => {
    const before = lines.length;
    for (const base of [stack.gatewayManagementUrl, stack.subgraphManagementUrl('ticket')]) {
      for (const path of ['/health/live', '/health/ready', '/metrics']) {
        expect((await fetch(`${base}${path}`)).status).toBe(200);
      }
    }

    expect(lines.slice(before).filter((line) => line.msg === ACCESS_LOG_MESSAGE)).toEqual([]);
  });
});
