import { createLogger } from '@servicedesk/platform';
import { GraphQLResponse, gatewayClient } from '@servicedesk/testing';
import { RunningGateway, createGateway, loadGatewayConfig } from '@servicedesk/gateway';
import { Actor, createTicket, register } from './actors';
import { SlowLink } from './slow-link';
import { SubgraphName, Stack, startStack } from './stack';
import { unthrottledRateLimits } from '../fixtures/rate-limit-keys';

const SUBGRAPH_TIMEOUT_MS = 2_500;
const REQUEST_TIMEOUT_MS = 4_000;
/** Beyond the deadline, the answer's way back to the client on a busy machine. */
const MARGIN_MS = 300;
/**
 * Each answer alone is well within SUBGRAPH_TIMEOUT_MS, and two in a row well within the
 * deadline (1.2 s to spare for the subgraphs' own work on a busy machine); a third one cannot
 * end before it.
 */
const SLOW_ANSWER_MS = 1_400;
/** A slow call that leaves less than SUBGRAPH_TIMEOUT_MS of the deadline to the next one. */
const SLOW_FIRST_CALL_MS = 1_800;

/** user (me) → ticket (my tickets) → user (their requester): three calls in a row. */
const MY_TICKETS_WITH_REQUESTERS = `query MyTicketsWithRequesters {
  me { name tickets { edges { node { title requester { name } } } } }
}`;

describe('a request against slow or wedged subgraphs, through the gateway', () => {
  let stack: Stack;
  let customer: Actor;
  const links = {} as Record<SubgraphName, SlowLink>;
  let gateway: RunningGateway;

  beforeAll(async () => {
    stack = await startStack();
    customer = await register(stack, 'Hedy');
    await createTicket(customer, { title: 'Laptop will not boot' });
    const names = Object.keys(stack.subgraphUrls) as SubgraphName[];
    for (const name of names) links[name] = await SlowLink.to(stack.subgraphUrls[name]);
    // A second gateway in front of the same subgraphs, each reached through a link the test controls.
    gateway = await createGateway(
      loadGatewayConfig({
        ...unthrottledRateLimits('e2e-deadline'),
        NODE_ENV: 'test',
        GATEWAY_PORT: '0',
        GATEWAY_MANAGEMENT_PORT: '0',
        SERVICE_TOKEN_SECRET: stack.serviceTokenSecret,
        JWKS_URL: stack.subgraphUrls.user.replace('/graphql', '/.well-known/jwks.json'),
        SUBGRAPH_TIMEOUT_MS: String(SUBGRAPH_TIMEOUT_MS),
        REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        ...Object.fromEntries(
          names.map((name) => [`${name.toUpperCase()}_SUBGRAPH_URL`, links[name].url]),
        ),
      }),
      { logger: createLogger('gateway', 'silent') },
    );
  });

  afterAll(async () => {
    await gateway?.close();
    await Promise.all(Object.values(links).map((link) => link.close()));
    await stack?.close();
  });

  afterEach(() => {
    for (const link of Object.values(links)) link.restore();
  });

  async function timedQuery(query: string): Promise<GraphQLResponse & { elapsedMs: number }> {
    const startedAt = performance.now();
    const answer = await gatewayClient(gateway.url).query(query, {}, customer.accessToken);
    return { ...answer, elapsedMs: performance.now() - startedAt };
  }

  it('answers within REQUEST_TIMEOUT_MS when each of three calls in a row is slow', async () => {
    links.user.delayMs = SLOW_ANSWER_MS;
    links.ticket.delayMs = SLOW_ANSWER_MS;

    const answer = await timedQuery(MY_TICKETS_WITH_REQUESTERS);

    expect(answer.elapsedMs).toBeLessThan(REQUEST_TIMEOUT_MS + MARGIN_MS);
    expect(answer.errors?.map((error) => error.extensions)).toEqual([
      { code: 'SERVICE_UNAVAILABLE', serviceName: 'user' },
    ]);
  });

  it('answers SERVICE_UNAVAILABLE within REQUEST_TIMEOUT_MS when a subgraph accepts connections but never answers', async () => {
    links.ticket.delayMs = SLOW_FIRST_CALL_MS;
    links.user.silence();

    const answer = await timedQuery('{ tickets { edges { node { title requester { name } } } } }');

    expect(answer.elapsedMs).toBeLessThan(REQUEST_TIMEOUT_MS + MARGIN_MS);
    expect(answer.errors?.map((error) => error.extensions)).toEqual([
      { code: 'SERVICE_UNAVAILABLE', serviceName: 'user' },
    ]);
  });
});
