// What a browser and a scanner see of the real stack in production: security headers on every
// kind of answer, CORS for the listed origins only, and probes and metrics on management ports only.
import { RunningGateway } from '@servicedesk/gateway';
import { dataOf } from '@servicedesk/testing';
import { Actor, register } from '../actors';
import { Stack, startStack } from '../stack';
import { dropRateLimitKeys, rateLimitKeyPrefix } from '../../fixtures/rate-limit-keys';
import { SUBGRAPHS, freshAddress, post, startGatewayFor } from './support';
import { LISTED_ORIGIN, expectSecurityHeaders, preflight } from '../../fixtures/http-surfaces';

const PROBES_AND_METRICS = ['/health/live', '/health/ready', '/metrics'];

describe('surfaces of the production stack', () => {
  const keyPrefix = rateLimitKeyPrefix('e2e-abuse-surfaces');
  let stack: Stack;
  let customer: Actor;

  beforeAll(async () => {
    stack = await startStack({
      NODE_ENV: 'production',
      CORS_ORIGINS: LISTED_ORIGIN,
      TRUST_PROXY: 'loopback',
      RATE_LIMIT_KEY_PREFIX: keyPrefix,
      RATE_LIMIT_ANONYMOUS: '1/60',
    });
    customer = await register({ api: stack.api, admin: stack.admin }, 'Browser');
  });

  afterAll(async () => {
    await stack?.close();
    await dropRateLimitKeys(keyPrefix);
  });

  describe('security headers', () => {
    // Each kind of answer from an address of its own: refused documents cost their sender a
    // point of the anonymous limit (1 here), which only the rate-limited case is meant to reach.
    const signedIn = () => ({ authorization: `Bearer ${customer.accessToken}` });

    it.each([
      ['a data answer', () => post(stack.gatewayUrl, { query: '{ me { id } }' }, signedIn()), 200],
      [
        'a subgraph’s BAD_USER_INPUT',
        () =>
          post(
            stack.gatewayUrl,
            { query: 'mutation { createTicket(input: { title: "", description: "d" }) { id } }' },
            signedIn(),
          ),
        200,
      ],
      [
        'a validation error',
        () =>
          post(
            stack.gatewayUrl,
            { query: '{ noSuchField }' },
            { ...signedIn(), 'x-forwarded-for': freshAddress() },
          ),
        400,
      ],
      [
        'a query-limit refusal',
        () =>
          post(
            stack.gatewayUrl,
            { query: `{ me { id ${'@include(if: true) '.repeat(21)}} }` },
            { 'x-forwarded-for': freshAddress() },
          ),
        400,
      ],
      [
        'an invalid access token',
        () =>
          post(
            stack.gatewayUrl,
            { query: '{ me { id } }' },
            { authorization: 'Bearer x', 'x-forwarded-for': freshAddress() },
          ),
        401,
      ],
      ['an unknown path', () => fetch(`${new URL(stack.gatewayUrl).origin}/nowhere`), 404],
      [
        'a body over MAX_BODY_BYTES',
        () =>
          post(stack.gatewayUrl, `{"query":"{ __typename }","x":"${'x'.repeat(1_100_000)}"}`, {
            'x-forwarded-for': freshAddress(),
          }),
        413,
      ],
      [
        'a rate-limited request',
        async () => {
          const address = { 'x-forwarded-for': freshAddress() };
          await post(stack.gatewayUrl, { query: '{ __typename }' }, address);
          return post(stack.gatewayUrl, { query: '{ __typename }' }, address);
        },
        429,
      ],
      ['a preflight from a listed origin', () => preflight(stack.gatewayUrl, LISTED_ORIGIN), 204],
    ] as const)(
      'are on %s, with HSTS in production',
      async (_answer, send: () => Promise<{ status: number; headers: Headers }>, status) => {
        const answer = await send();

        expect(answer.status).toBe(status);
        expectSecurityHeaders(answer.headers);
        expect(answer.headers.get('strict-transport-security')).toBe(
          'max-age=31536000; includeSubDomains',
        );
      },
    );

    describe('outside production', () => {
      let gateway: RunningGateway;

      beforeAll(async () => {
        gateway = await startGatewayFor(stack, { NODE_ENV: 'test' });
      });

      afterAll(async () => {
        await gateway?.close();
      });

      it('are sent without HSTS, so http://localhost is not pinned to HTTPS', async () => {
        const answer = await post(gateway.url, { query: '{ __typename }' });

        expect(dataOf(answer)).toEqual({ __typename: 'Query' });
        expectSecurityHeaders(answer.headers);
        expect(answer.headers.get('strict-transport-security')).toBeNull();
      });
    });
  });

  describe('CORS', () => {
    it('allows a preflight and a request from the listed origin', async () => {
      const allowed = await preflight(stack.gatewayUrl, LISTED_ORIGIN);
      const request = await post(
        stack.gatewayUrl,
        { query: '{ me { id } }' },
        { origin: LISTED_ORIGIN, authorization: `Bearer ${customer.accessToken}` },
      );

      expect(allowed.headers.get('access-control-allow-origin')).toBe(LISTED_ORIGIN);
      expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
      expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
      expect(request.headers.get('access-control-allow-origin')).toBe(LISTED_ORIGIN);
    });

    it('refuses a preflight and a request from an origin not listed', async () => {
      const refused = await preflight(stack.gatewayUrl, 'https://evil.example.com');
      const request = await post(
        stack.gatewayUrl,
        { query: '{ me { id } }' },
        { origin: 'https://evil.example.com', authorization: `Bearer ${customer.accessToken}` },
      );

      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
      expect(request.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('management ports', () => {
    it('the gateway serves probes and metrics on its management port only', async () => {
      const publicOrigin = new URL(stack.gatewayUrl).origin;

      for (const path of PROBES_AND_METRICS) {
        expect((await fetch(`${publicOrigin}${path}`)).status).toBe(404);
        expect((await fetch(`${stack.gatewayManagementUrl}${path}`)).status).toBe(200);
      }
      const graphql = await post(`${stack.gatewayManagementUrl}/graphql`, {
        query: '{ __typename }',
      });
      expect(graphql.status).not.toBe(200);
    });

    it.each(SUBGRAPHS)(
      'the %s subgraph serves probes and metrics on its management port only',
      async (name) => {
        const publicOrigin = new URL(stack.subgraphUrls[name]).origin;
        const managementUrl = stack.subgraphManagementUrl(name);

        expect(new URL(managementUrl).port).not.toBe(new URL(publicOrigin).port);
        for (const path of PROBES_AND_METRICS) {
          expect((await fetch(`${publicOrigin}${path}`)).status).toBe(404);
          expect((await fetch(`${managementUrl}${path}`)).status).toBe(200);
        }
      },
    );
  });
});
