import { scrapeMetric, waitFor } from '@servicedesk/testing';
import { RunningGateway } from '../src/gateway';
import { FixtureKeySet, SigningKey } from './fixtures/fixture-key-set';
import { FixtureSubgraph } from './fixtures/fixture-subgraph';
import { FlakyFront } from './fixtures/flaky-front';
import {
  TEST_SERVICE_SECRET,
  bearer,
  postQuery,
  startTestGateway,
  startUserSubgraph,
} from './fixtures/test-gateway';

const RESET_TIMEOUT_MS = 300;
const VOLUME_THRESHOLD = 3;
const TICKETS = '{ tickets { id } }';
const CLOSE_TICKET = 'mutation { closeTicket(id: "ticket-1") { id } }';

const TICKET_UNAVAILABLE = {
  message: 'The ticket service is unavailable, try again shortly',
  extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: 'ticket' },
};

/** A ticket subgraph with a mutation, to tell reads from writes. */
function startTicketSubgraph(): Promise<FixtureSubgraph> {
  return FixtureSubgraph.start({
    name: 'ticket',
    secret: TEST_SERVICE_SECRET,
    typeDefs: /* GraphQL */ `
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
      type Query {
        tickets: [Ticket!]
      }
      type Mutation {
        closeTicket(id: ID!): Ticket
      }
      type Ticket @key(fields: "id") {
        id: ID!
      }
    `,
    resolvers: {
      Query: { tickets: () => [{ id: 'ticket-1' }] },
      Mutation: { closeTicket: (_parent, { id }: { id: string }) => ({ id }) },
    },
  });
}

describe('circuit breakers and retries of subgraph calls', () => {
  let user: FixtureSubgraph;
  let ticket: FixtureSubgraph;
  let front: FlakyFront;
  let keySet: FixtureKeySet;
  let gateway: RunningGateway;

  const metric = (name: string, labels: Record<string, string>) =>
    scrapeMetric(gateway.managementUrl, name, labels);

  beforeEach(async () => {
    [user, ticket, keySet] = await Promise.all([
      startUserSubgraph(),
      startTicketSubgraph(),
      FixtureKeySet.start([]),
    ]);
    front = await FlakyFront.to(ticket.url);
    gateway = await startTestGateway([user, ticket], {
      JWKS_URL: keySet.url,
      TICKET_SUBGRAPH_URL: front.url,
      CIRCUIT_BREAKER_VOLUME_THRESHOLD: String(VOLUME_THRESHOLD),
      CIRCUIT_BREAKER_RESET_TIMEOUT_MS: String(RESET_TIMEOUT_MS),
    });
  });

  afterEach(async () => {
    await gateway?.close();
    await Promise.all([user?.stop(), ticket?.stop(), front?.close(), keySet?.close()]);
  });

  /** Fails queries until the ticket subgraph's breaker is open. */
  async function openTicketBreaker(): Promise<void> {
    front.failWith = 503;
    for (
      let query = 0;
      (await metric('circuit_breaker_state', { dependency: 'ticket' })) !== 2;
      query += 1
    ) {
      if (query === VOLUME_THRESHOLD) throw new Error('the ticket breaker did not open');
      await postQuery(gateway.url, TICKETS);
    }
  }

  it('opens the breaker of a subgraph that keeps failing: calls are answered at once, naming it, without calling it', async () => {
    await openTicketBreaker();
    const reached = front.received;
    const startedAt = performance.now();

    const answer = await postQuery(gateway.url, TICKETS);

    expect(performance.now() - startedAt).toBeLessThan(100);
    expect(answer.body).toEqual({ data: { tickets: null }, errors: [TICKET_UNAVAILABLE] });
    expect(front.received).toBe(reached);
    expect(ticket.calls).toHaveLength(0);
    expect(
      await metric('circuit_breaker_transitions_total', { dependency: 'ticket', to: 'open' }),
    ).toBe(1);
    expect(
      await metric('circuit_breaker_rejected_calls_total', { dependency: 'ticket' }),
    ).toBeGreaterThanOrEqual(1);
    // The other subgraph's breaker is its own.
    expect(await metric('circuit_breaker_state', { dependency: 'user' })).toBe(0);
    expect((await postQuery(gateway.url, '{ whoami { userId } }')).body.errors).toBeUndefined();
  });

  it('closes the breaker again by itself once the subgraph is healthy after the reset timeout', async () => {
    await openTicketBreaker();
    front.failWith = undefined;

    const answer = await waitFor(
      async () => {
        const attempt = await postQuery(gateway.url, TICKETS);
        return attempt.body.errors === undefined && attempt;
      },
      { description: 'a query answered once the breaker let a probe through', timeoutMs: 5_000 },
    );

    expect(answer.body).toEqual({ data: { tickets: [{ id: 'ticket-1' }] } });
    expect(await metric('circuit_breaker_state', { dependency: 'ticket' })).toBe(0);
    for (const to of ['half_open', 'closed']) {
      expect(await metric('circuit_breaker_transitions_total', { dependency: 'ticket', to })).toBe(
        1,
      );
    }
  });

  it('never opens a breaker on a subgraph refusing what the client sent (4xx)', async () => {
    front.failWith = 400;
    for (let call = 0; call < 3 * VOLUME_THRESHOLD; call += 1)
      await postQuery(gateway.url, TICKETS);
    front.failWith = undefined;

    const answer = await postQuery(gateway.url, TICKETS);

    expect(answer.body).toEqual({ data: { tickets: [{ id: 'ticket-1' }] } });
    expect(await metric('circuit_breaker_state', { dependency: 'ticket' })).toBe(0);
    expect(front.received).toBe(3 * VOLUME_THRESHOLD + 1);
  });

  it('retries a query once after a transient failure and answers it', async () => {
    front.failNext(1, 503);

    const answer = await postQuery(gateway.url, TICKETS);

    expect(answer.body).toEqual({ data: { tickets: [{ id: 'ticket-1' }] } });
    expect(front.received).toBe(2);
    expect(ticket.calls).toHaveLength(1);
    expect(await metric('subgraph_retries_total', { subgraph: 'ticket' })).toBe(1);
  });

  it('gives a query one retry only', async () => {
    front.failNext(2, 503);

    const answer = await postQuery(gateway.url, TICKETS);

    expect(answer.body).toEqual({ data: { tickets: null }, errors: [TICKET_UNAVAILABLE] });
    expect(front.received).toBe(2);
  });

  it('never retries a mutation', async () => {
    front.failNext(1, 503);

    const answer = await postQuery(gateway.url, CLOSE_TICKET);

    expect(answer.body).toEqual({ data: { closeTicket: null }, errors: [TICKET_UNAVAILABLE] });
    expect(front.received).toBe(1);
    expect(ticket.calls).toHaveLength(0);
  });
});

describe('circuit breaker of the access-token key set', () => {
  let user: FixtureSubgraph;
  let key: SigningKey;
  let keySet: FixtureKeySet;
  let gateway: RunningGateway;

  const keySetState = () =>
    scrapeMetric(gateway.managementUrl, 'circuit_breaker_state', { dependency: 'jwks' });
  const whoami = async () =>
    postQuery(gateway.url, '{ whoami { userId } }', bearer(await key.sign({ sub: 'user-1' })));

  beforeEach(async () => {
    key = await SigningKey.generate();
    [user, keySet] = await Promise.all([startUserSubgraph(), FixtureKeySet.start([key])]);
    gateway = await startTestGateway([user], {
      JWKS_URL: keySet.url,
      JWKS_TIMEOUT_MS: '200',
      CIRCUIT_BREAKER_VOLUME_THRESHOLD: String(VOLUME_THRESHOLD),
      CIRCUIT_BREAKER_RESET_TIMEOUT_MS: String(RESET_TIMEOUT_MS),
    });
  });

  afterEach(async () => {
    await gateway?.close();
    await Promise.all([user?.stop(), keySet?.close()]);
  });

  it('opens when the key set keeps timing out: requests are refused at once without fetching it, until it answers again', async () => {
    keySet.hang = true;
    for (let request = 0; (await keySetState()) !== 2; request += 1) {
      if (request === VOLUME_THRESHOLD) throw new Error('the key-set breaker did not open');
      await whoami();
    }
    const fetches = keySet.fetches;
    const startedAt = performance.now();

    const refused = await whoami();

    expect(performance.now() - startedAt).toBeLessThan(100);
    expect(refused.status).toBe(503);
    expect(refused.body.errors?.[0].extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(keySet.fetches).toBe(fetches);
    expect(user.calls).toHaveLength(0);

    keySet.hang = false;
    const answer = await waitFor(
      async () => {
        const attempt = await whoami();
        return attempt.status === 200 && attempt;
      },
      { description: 'a request verified once the breaker let a fetch through', timeoutMs: 5_000 },
    );

    expect(answer.body).toEqual({ data: { whoami: { userId: 'user-1' } } });
    expect(await keySetState()).toBe(0);
  });
});
