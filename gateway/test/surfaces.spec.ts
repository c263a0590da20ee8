// What a browser and a scanner see of the gateway: security headers on every answer, CORS for
// the configured origins only, and probes and metrics only on the management port.
import { RunningGateway } from '../src/gateway';
import { FixtureKeySet } from './fixtures/fixture-key-set';
import { FixtureSubgraph } from './fixtures/fixture-subgraph';
import { dropRateLimitKeys, rateLimitKeyPrefix } from './fixtures/rate-limit-keys';
import { postQuery, startTestGateway, startUserSubgraph } from './fixtures/test-gateway';
import { LISTED_ORIGIN, expectSecurityHeaders, preflight } from './fixtures/http-surfaces';

const PRODUCTION = {
  NODE_ENV: 'production',
  SERVICE_TOKEN_SECRET: 'a-production-secret-for-this-test-only',
};

describe('gateway surfaces', () => {
  let user: FixtureSubgraph;
  let keySet: FixtureKeySet;
  const gateways: RunningGateway[] = [];
  const prefixes: string[] = [];

  beforeAll(async () => {
    [user, keySet] = await Promise.all([startUserSubgraph(), FixtureKeySet.start([])]);
  });

  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.close()));
    await Promise.all([user?.stop(), keySet?.close()]);
    await Promise.all(prefixes.map((prefix) => dropRateLimitKeys(prefix)));
  });

  async function gatewayWith(env: Record<string, string> = {}): Promise<RunningGateway> {
    const prefix = rateLimitKeyPrefix('surfaces');
    prefixes.push(prefix);
    const gateway = await startTestGateway([user], {
      JWKS_URL: keySet.url,
      RATE_LIMIT_KEY_PREFIX: prefix,
      ...env,
    });
    gateways.push(gateway);
    return gateway;
  }

  describe('management port', () => {
    it('serves /health/live, /health/ready and /metrics there, and 404 for them on the public port', async () => {
      const gateway = await gatewayWith();
      const publicOrigin = new URL(gateway.url).origin;

      expect(new URL(gateway.managementUrl).port).not.toBe(new URL(gateway.url).port);
      for (const path of ['/health/live', '/health/ready', '/metrics']) {
        expect((await fetch(`${gateway.managementUrl}${path}`)).status).toBe(200);
        expect((await fetch(`${publicOrigin}${path}`)).status).toBe(404);
      }
      const metrics = await (await fetch(`${gateway.managementUrl}/metrics`)).text();
      expect(metrics).toContain('process_cpu_user_seconds_total');
    });

    it('serves no GraphQL on the management port', async () => {
      const gateway = await gatewayWith();

      const answer = await fetch(`${gateway.managementUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });

      expect(answer.status).toBe(405);
    });
  });

  describe('security headers', () => {
    it('are on an answer, a GraphQL error, a 404, a 413 and a 429', async () => {
      const gateway = await gatewayWith({ MAX_BODY_BYTES: '2048' });
      const limiting = await gatewayWith({ RATE_LIMIT_ANONYMOUS: '1/60' });

      const answered = await postQuery(gateway.url, '{ __typename }');
      const invalid = await postQuery(gateway.url, '{ noSuchField }');
      const notFound = await fetch(`${new URL(gateway.url).origin}/nowhere`);
      const tooLarge = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `{ __typename } # ${'x'.repeat(4096)}` }),
      });
      await postQuery(limiting.url, '{ __typename }');
      const limited = await postQuery(limiting.url, '{ __typename }');

      expect([answered.status, invalid.status, notFound.status, tooLarge.status]).toEqual([
        200, 400, 404, 413,
      ]);
      expect(limited.status).toBe(429);
      for (const headers of [
        answered.headers,
        invalid.headers,
        notFound.headers,
        tooLarge.headers,
        limited.headers,
      ]) {
        expectSecurityHeaders(headers);
      }
    });

    it('send Strict-Transport-Security in production only', async () => {
      const development = await gatewayWith({ NODE_ENV: 'development' });
      const production = await gatewayWith(PRODUCTION);

      const inDevelopment = await postQuery(development.url, '{ __typename }');
      const inProduction = await postQuery(production.url, '{ __typename }');

      expect(inDevelopment.headers.get('strict-transport-security')).toBeNull();
      expect(inProduction.headers.get('strict-transport-security')).toBe(
        'max-age=31536000; includeSubDomains',
      );
      expectSecurityHeaders(inProduction.headers);
    });

    it('relax the policy for the explorer landing page outside production, which still may not be framed', async () => {
      const gateway = await gatewayWith({ NODE_ENV: 'development' });

      const landingPage = await fetch(gateway.url, { headers: { accept: 'text/html' } });

      expect(landingPage.status).toBe(200);
      const policy = landingPage.headers.get('content-security-policy');
      expect(policy).toContain('https://embeddable-sandbox.cdn.apollographql.com');
      expect(policy).toContain("frame-ancestors 'none'");
      expect(landingPage.headers.get('x-frame-options')).toBe('DENY');
      expect(landingPage.headers.get('x-content-type-options')).toBe('nosniff');
    });
  });

  describe('CORS', () => {
    it('allows a preflight from a listed origin', async () => {
      const gateway = await gatewayWith({
        CORS_ORIGINS: `https://other.example.com, ${LISTED_ORIGIN}`,
      });

      const answer = await preflight(gateway.url, LISTED_ORIGIN);

      expect(answer.status).toBe(204);
      expect(answer.headers.get('access-control-allow-origin')).toBe(LISTED_ORIGIN);
      expect(answer.headers.get('access-control-allow-methods')).toContain('POST');
      expect(answer.headers.get('access-control-allow-headers')).toContain('authorization');
      expectSecurityHeaders(answer.headers);
    });

    it('refuses a preflight and a request from an origin not listed', async () => {
      const gateway = await gatewayWith({ CORS_ORIGINS: LISTED_ORIGIN });

      const refusedPreflight = await preflight(gateway.url, 'https://evil.example.com');
      const request = await postQuery(gateway.url, '{ __typename }', {
        origin: 'https://evil.example.com',
      });

      expect(refusedPreflight.headers.get('access-control-allow-origin')).toBeNull();
      expect(request.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('allows no cross-origin browser access when CORS_ORIGINS is empty', async () => {
      const gateway = await gatewayWith();

      const answer = await preflight(gateway.url, LISTED_ORIGIN);

      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    });
  });
});
