import { waitFor } from '@servicedesk/testing';
import { RunningGateway } from '../src/gateway';
import { FixtureKeySet } from './fixtures/fixture-key-set';
import { FixtureSubgraph } from './fixtures/fixture-subgraph';
import {
  FIXTURE_TICKETS,
  postQuery,
  startTestGateway,
  startTicketSubgraph,
  startUserSubgraph,
} from './fixtures/test-gateway';

const INTROSPECTION = '{ __schema { queryType { name } } }';
const PRODUCTION = {
  NODE_ENV: 'production',
  SERVICE_TOKEN_SECRET: 'a-production-secret-for-this-test-only',
};

describe('gateway server', () => {
  let user: FixtureSubgraph;
  let ticket: FixtureSubgraph;
  let keySet: FixtureKeySet;
  const gateways: RunningGateway[] = [];

  beforeAll(async () => {
    [user, ticket, keySet] = await Promise.all([
      startUserSubgraph(),
      startTicketSubgraph(),
      FixtureKeySet.start([]),
    ]);
  });

  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.close()));
    await Promise.all([user?.stop(), ticket?.stop(), keySet?.close()]);
  });

  async function gatewayWith(env: Record<string, string> = {}): Promise<RunningGateway> {
    const gateway = await startTestGateway([user, ticket], { JWKS_URL: keySet.url, ...env });
    gateways.push(gateway);
    return gateway;
  }

  describe('introspection and landing page', () => {
    it('allows introspection and serves the landing page in development', async () => {
      const gateway = await gatewayWith({ NODE_ENV: 'development' });

      const introspection = await postQuery(gateway.url, INTROSPECTION);
      const landingPage = await fetch(gateway.url, { headers: { accept: 'text/html' } });

      expect(introspection.body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
      expect(landingPage.status).toBe(200);
      expect(landingPage.headers.get('content-type')).toMatch(/text\/html/);
    });

    it('refuses introspection and serves no landing page in production', async () => {
      const gateway = await gatewayWith(PRODUCTION);

      const introspection = await postQuery(gateway.url, INTROSPECTION);
      const landingPage = await fetch(gateway.url, { headers: { accept: 'text/html' } });

      expect(introspection.body.data).toBeUndefined();
      expect(introspection.body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(introspection.body.errors?.[0].message).toMatch(/introspection is not allowed/i);
      expect(landingPage.headers.get('content-type')).not.toMatch(/text\/html/);
    });

    it('suggests field names in development validation errors only', async () => {
      const [development, production] = await Promise.all([
        gatewayWith({ NODE_ENV: 'development' }),
        gatewayWith(PRODUCTION),
      ]);
      const misspelt = '{ ticket { id } }';

      const [inDevelopment, inProduction] = await Promise.all([
        postQuery(development.url, misspelt),
        postQuery(production.url, misspelt),
      ]);

      expect(inDevelopment.body.errors?.[0].message).toMatch(/did you mean "tickets"/i);
      expect(inProduction.body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(inProduction.body.errors?.[0].message).not.toMatch(/did you mean/i);
    });
  });

  describe('probes and metrics', () => {
    it('is live and ready, and reports each subgraph’s reachability without depending on it', async () => {
      const gateway = await gatewayWith();
      const base = gateway.managementUrl;
      const stoppedTicket = await startTicketSubgraph();
      const partial = await startTestGateway([user, stoppedTicket], { JWKS_URL: keySet.url });
      gateways.push(partial);
      await stoppedTicket.stop();

      const live = await fetch(`${base}/health/live`);
      const ready = await fetch(`${base}/health/ready`);
      const partialReady = await fetch(`${partial.managementUrl}/health/ready`);

      expect(live.status).toBe(200);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({
        status: 'ready',
        checks: { supergraph: { status: 'up' } },
        subgraphs: { user: 'up', ticket: 'up' },
        rateLimits: { redis: 'up' },
      });
      expect(partialReady.status).toBe(200);
      expect(((await partialReady.json()) as { subgraphs: unknown }).subgraphs).toEqual({
        user: 'up',
        ticket: 'down',
      });
    });

    it('exposes HTTP and per-subgraph request metrics', async () => {
      const gateway = await gatewayWith();
      await postQuery(gateway.url, '{ tickets { id requester { name } } }');

      const metrics = await (await fetch(`${gateway.managementUrl}/metrics`)).text();

      expect(metrics).toMatch(
        /subgraph_request_duration_seconds_count\{[^}]*subgraph="ticket"[^}]*outcome="ok"[^}]*\} 1/,
      );
      expect(metrics).toMatch(
        /subgraph_request_duration_seconds_count\{[^}]*subgraph="user"[^}]*outcome="ok"[^}]*\} 1/,
      );
      expect(metrics).toMatch(
        /http_request_duration_seconds_count\{[^}]*route="\/graphql"[^}]*\} 1/,
      );
      expect(metrics).toContain('process_cpu_seconds_total');
    });
  });

  describe('malformed requests', () => {
    it('answers a body that is not JSON with a GraphQL-shaped 400, without internals', async () => {
      const gateway = await gatewayWith({ NODE_ENV: 'development' });

      const response = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query": ',
      });
      const body = (await response.json()) as { errors: Array<{ extensions: unknown }> };

      expect(response.status).toBe(400);
      expect(body.errors[0].extensions).toEqual({ code: 'BAD_REQUEST' });
      expect(JSON.stringify(body)).not.toMatch(/at \w+ \(|node_modules/);
    });

    it('answers unknown paths with 404', async () => {
      const gateway = await gatewayWith();

      const response = await fetch(`${new URL(gateway.url).origin}/nothing-here`);

      expect(response.status).toBe(404);
    });
  });

  it('lets an in-flight request finish when closed, then stops listening', async () => {
    const gateway = await startTestGateway([user, ticket], { JWKS_URL: keySet.url });
    const callsBefore = ticket.calls.length;
    ticket.hang = true;
    const inFlight = postQuery(gateway.url, '{ tickets { id } }');
    await waitFor(() => ticket.calls.length > callsBefore, {
      description: 'the ticket subgraph to receive the call',
    });

    const closed = gateway.close();
    ticket.release();
    const answer = await inFlight;
    await closed;

    expect(answer.body).toEqual({ data: { tickets: FIXTURE_TICKETS.map(({ id }) => ({ id })) } });
    await expect(fetch(gateway.url)).rejects.toThrow();
  });
});
