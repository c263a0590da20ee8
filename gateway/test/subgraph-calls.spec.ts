import { RunningGateway } from '../src/gateway';
import { FixtureKeySet } from './fixtures/fixture-key-set';
import { FixtureSubgraph } from './fixtures/fixture-subgraph';
import {
  FIXTURE_TICKETS,
  postQuery,
  startTestGateway,
  startTicketSubgraph,
  startUserSubgraph,
  userName,
} from './fixtures/test-gateway';

const TICKETS_WITH_REQUESTERS = '{ tickets { id title requester { id name } } }';
const SUBGRAPH_TIMEOUT_MS = 300;

describe('gateway calls to subgraphs', () => {
  let user: FixtureSubgraph;
  let ticket: FixtureSubgraph;
  let keySet: FixtureKeySet;
  let gateway: RunningGateway;

  beforeEach(async () => {
    [user, ticket, keySet] = await Promise.all([
      startUserSubgraph(),
      startTicketSubgraph(),
      FixtureKeySet.start([]),
    ]);
    gateway = await startTestGateway([user, ticket], {
      JWKS_URL: keySet.url,
      SUBGRAPH_TIMEOUT_MS: String(SUBGRAPH_TIMEOUT_MS),
    });
  });

  afterEach(async () => {
    await gateway?.close();
    await Promise.all([user?.stop(), ticket?.stop(), keySet?.close()]);
  });

  it('joins entities across subgraphs, each called with its own service credential', async () => {
    const answer = await postQuery(gateway.url, TICKETS_WITH_REQUESTERS);

    expect(answer.body).toEqual({
      data: {
        tickets: FIXTURE_TICKETS.map(({ id, title, requesterId }) => ({
          id,
          title,
          requester: { id: requesterId, name: userName(requesterId) },
        })),
      },
    });
    expect(ticket.calls).toHaveLength(1);
    // One batched entity fetch for every requester, not one per ticket.
    expect(user.calls).toHaveLength(1);
    expect(user.calls[0].query).toContain('_entities');
  });

  it('returns the rest of the answer plus SERVICE_UNAVAILABLE naming the subgraph that is down', async () => {
    await user.stop();

    const answer = await postQuery(gateway.url, TICKETS_WITH_REQUESTERS);

    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual({
      tickets: FIXTURE_TICKETS.map(({ id, title }) => ({ id, title, requester: null })),
    });
    expect(answer.body.errors).toEqual([
      {
        message: 'The user service is unavailable, try again shortly',
        extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: 'user' },
      },
    ]);
  });

  it('returns the root fields of healthy subgraphs when another root field’s subgraph is down', async () => {
    await ticket.stop();

    const answer = await postQuery(gateway.url, '{ whoami { userId } tickets { id } }');

    expect(answer.body.data).toEqual({ whoami: { userId: null }, tickets: null });
    expect(answer.body.errors).toHaveLength(1);
    expect(answer.body.errors?.[0].extensions).toEqual({
      code: 'SERVICE_UNAVAILABLE',
      serviceName: 'ticket',
    });
  });

  it('gives up on a subgraph that does not answer within SUBGRAPH_TIMEOUT_MS', async () => {
    ticket.hang = true;
    const startedAt = Date.now();

    const answer = await postQuery(gateway.url, '{ tickets { id } }');

    const elapsed = Date.now() - startedAt;
    expect(elapsed).toBeGreaterThanOrEqual(SUBGRAPH_TIMEOUT_MS - 50);
    expect(elapsed).toBeLessThan(3_000);
    expect(ticket.calls).toHaveLength(1);
    expect(answer.body.data).toEqual({ tickets: null });
    expect(answer.body.errors).toEqual([
      {
        message: 'The ticket service is unavailable, try again shortly',
        extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: 'ticket' },
      },
    ]);
  });

  it('never shows clients internal details (URLs, stack traces) of a failed subgraph call', async () => {
    await user.stop();

    const answer = await postQuery(gateway.url, TICKETS_WITH_REQUESTERS);

    const serialized = JSON.stringify(answer.body);
    expect(serialized).not.toContain('127.0.0.1');
    expect(serialized).not.toMatch(/ECONNREFUSED|stacktrace|fetch failed/i);
  });

  it('echoes the caller’s correlation id and forwards it to every subgraph', async () => {
    const correlationId = 'support-case-4711';

    const answer = await postQuery(gateway.url, TICKETS_WITH_REQUESTERS, {
      'x-correlation-id': correlationId,
    });

    expect(answer.headers.get('x-correlation-id')).toBe(correlationId);
    expect([...ticket.calls, ...user.calls].map((call) => call.correlationId)).toEqual([
      correlationId,
      correlationId,
    ]);
  });

  it('reuses keep-alive connections and never opens more than MAX_SOCKETS_PER_SUBGRAPH', async () => {
    await gateway.close();
    gateway = await startTestGateway([user, ticket], {
      JWKS_URL: keySet.url,
      MAX_SOCKETS_PER_SUBGRAPH: '2',
    });

    for (let round = 0; round < 3; round += 1) {
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => postQuery(gateway.url, '{ tickets { id } }')),
      );
      expect(answers.every((answer) => answer.body.errors === undefined)).toBe(true);
    }

    expect(ticket.calls).toHaveLength(24);
    expect(ticket.connections).toBeLessThanOrEqual(2);
  });

  it('creates a correlation id when the caller sends none (or an unusable one) and forwards that', async () => {
    const answer = await postQuery(gateway.url, '{ tickets { id } }', {
      'x-correlation-id': 'has spaces; and more',
    });

    const generated = answer.headers.get('x-correlation-id');
    expect(generated).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(ticket.calls[0].correlationId).toBe(generated);
  });
});
