import { RunningGateway } from '../src/gateway';
import { FixtureKeySet, SigningKey } from './fixtures/fixture-key-set';
import { FixtureSubgraph } from './fixtures/fixture-subgraph';
import { SilentServer } from './fixtures/silent-server';
import {
  FIXTURE_TICKETS,
  HttpAnswer,
  bearer,
  postQuery,
  recordingLogger,
  startTestGateway,
  startTicketSubgraph,
  startUserSubgraph,
} from './fixtures/test-gateway';

// Wide enough that two calls of a plan fit the deadline with room to spare on a busy machine,
// and a silent subgraph called after a 900 ms call is cut by the deadline, not its own timeout.
const SUBGRAPH_TIMEOUT_MS = 2_500;
const REQUEST_TIMEOUT_MS = 3_000;
/** Beyond the deadline, the answer's way back to the client on a busy machine. */
const MARGIN_MS = 250;

/** ticket → user (the requester's manager) → ticket (the manager's tickets): three calls in a row. */
const MANAGERS_TICKETS =
  'query ManagersTickets { tickets { id requester { manager { tickets { id } } } } }';
const REQUESTER_NAMES = 'query RequesterNames { tickets { id requester { name } } }';

async function timed(answer: Promise<HttpAnswer>): Promise<HttpAnswer & { elapsedMs: number }> {
  const startedAt = performance.now();
  return { ...(await answer), elapsedMs: performance.now() - startedAt };
}

describe('request deadline', () => {
  let user: FixtureSubgraph;
  let ticket: FixtureSubgraph;
  let keySet: FixtureKeySet;
  let silent: SilentServer;
  let gateway: RunningGateway;
  let log: ReturnType<typeof recordingLogger>;

  async function startGateway(env: Record<string, string> = {}): Promise<void> {
    gateway = await startTestGateway(
      [user, ticket],
      {
        JWKS_URL: keySet.url,
        SUBGRAPH_TIMEOUT_MS: String(SUBGRAPH_TIMEOUT_MS),
        REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        ...env,
      },
      log.logger,
    );
  }

  const warnings = (message: RegExp) =>
    log.lines.filter((line) => line.level === 'warn' && message.test(String(line.msg)));

  beforeEach(async () => {
    [user, ticket, keySet, silent] = await Promise.all([
      startUserSubgraph(),
      startTicketSubgraph(),
      FixtureKeySet.start([]),
      SilentServer.start(),
    ]);
    log = recordingLogger();
  });

  afterEach(async () => {
    await gateway?.close();
    await Promise.all([user?.stop(), ticket?.stop(), keySet?.close(), silent?.close()]);
  });

  it('answers a plan of calls in a row to slow subgraphs within REQUEST_TIMEOUT_MS, with what it got', async () => {
    await startGateway();
    // Each call alone is well within SUBGRAPH_TIMEOUT_MS; two fit the deadline, three do not.
    ticket.delayMs = 1_100;
    user.delayMs = 1_100;

    const answer = await timed(postQuery(gateway.url, MANAGERS_TICKETS));

    expect(answer.elapsedMs).toBeLessThan(REQUEST_TIMEOUT_MS + MARGIN_MS);
    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual({
      tickets: FIXTURE_TICKETS.map(({ id }) => ({
        id,
        requester: { manager: { tickets: null } },
      })),
    });
    expect(answer.body.errors?.map((error) => error.extensions)).toEqual([
      { code: 'SERVICE_UNAVAILABLE', serviceName: 'ticket' },
    ]);
  });

  it('answers SERVICE_UNAVAILABLE within REQUEST_TIMEOUT_MS for a subgraph that accepts connections but never answers', async () => {
    await startGateway({ USER_SUBGRAPH_URL: silent.urlOf('/graphql') });
    ticket.delayMs = 900;

    const answer = await timed(postQuery(gateway.url, REQUESTER_NAMES));

    expect(answer.elapsedMs).toBeLessThan(REQUEST_TIMEOUT_MS + MARGIN_MS);
    expect(silent.connections).toBe(1);
    expect(answer.body.data).toEqual({
      tickets: FIXTURE_TICKETS.map(({ id }) => ({ id, requester: null })),
    });
    expect(answer.body.errors?.map((error) => error.extensions)).toEqual([
      { code: 'SERVICE_UNAVAILABLE', serviceName: 'user' },
    ]);
  });

  it('logs the operation, its correlation id, its elapsed time and the call the deadline cut', async () => {
    await startGateway({ USER_SUBGRAPH_URL: silent.urlOf('/graphql') });
    ticket.delayMs = 900;

    await postQuery(gateway.url, REQUESTER_NAMES, { 'x-correlation-id': 'deadline-case-1' });

    const [line, ...others] = warnings(/deadline/);
    expect(others).toEqual([]);
    expect(line).toMatchObject({
      operationName: 'RequesterNames',
      correlationId: 'deadline-case-1',
      pending: [{ call: 'user', forMs: expect.any(Number) }],
    });
    expect(line.elapsedMs).toBeGreaterThanOrEqual(900);
    expect(line.elapsedMs).toBeLessThan(REQUEST_TIMEOUT_MS);
  });

  it('answers 503 SERVICE_UNAVAILABLE at the deadline when the answer is held up outside any subgraph call, and logs it once', async () => {
    // The key set may take longer than the whole request (a misconfiguration, or a wedged user service).
    await startGateway({ JWKS_TIMEOUT_MS: '5000' });
    keySet.hang = true;
    const token = await (await SigningKey.generate()).sign();

    const answer = await timed(
      postQuery(gateway.url, REQUESTER_NAMES, {
        ...bearer(token),
        'x-correlation-id': 'deadline-case-2',
      }),
    );

    expect(answer.elapsedMs).toBeLessThan(REQUEST_TIMEOUT_MS + MARGIN_MS);
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({
      errors: [
        {
          message: 'The request could not be answered in time, try again shortly',
          extensions: { code: 'SERVICE_UNAVAILABLE' },
        },
      ],
    });
    expect(ticket.calls).toEqual([]);
    const [line, ...others] = warnings(/deadline/);
    expect(others).toEqual([]);
    expect(line).toMatchObject({
      operationName: 'RequesterNames',
      correlationId: 'deadline-case-2',
      pending: [{ call: 'authentication', forMs: expect.any(Number) }],
    });
    expect(line.elapsedMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS);
  });
});
