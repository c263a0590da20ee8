import { randomUUID } from 'node:crypto';
import { RunningGateway } from '../src/gateway';
import { FixtureKeySet, SigningKey, unsignedToken } from './fixtures/fixture-key-set';
import { FixtureSubgraph } from './fixtures/fixture-subgraph';
import { bearer, postQuery, startTestGateway, startUserSubgraph } from './fixtures/test-gateway';

const WHOAMI = '{ whoami { userId role } }';

describe('gateway authentication', () => {
  let user: FixtureSubgraph;
  let signingKey: SigningKey;
  let keySet: FixtureKeySet;
  let gateway: RunningGateway;

  beforeAll(async () => {
    user = await startUserSubgraph();
    signingKey = await SigningKey.generate('EdDSA');
    keySet = await FixtureKeySet.start([signingKey]);
    // No cooldown: each test may rotate keys and expects the very next token to trigger a refetch.
    gateway = await startTestGateway([user], { JWKS_URL: keySet.url, JWKS_COOLDOWN_MS: '0' });
  });

  afterAll(async () => {
    await gateway?.close();
    await Promise.all([user?.stop(), keySet?.close()]);
  });

  beforeEach(() => {
    user.clearRecords();
    keySet.publish(signingKey);
  });

  it('passes the verified identity to the subgraph inside a service token for that subgraph', async () => {
    const userId = randomUUID();
    const answer = await postQuery(
      gateway.url,
      WHOAMI,
      bearer(await signingKey.sign({ sub: userId, role: 'AGENT' })),
    );

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ data: { whoami: { userId, role: 'AGENT' } } });
    // The fixture verified the token with its own name as audience before recording the call.
    expect(user.calls).toHaveLength(1);
    expect(user.calls[0]).toMatchObject({
      serviceName: 'gateway',
      issuer: 'gateway',
      identity: { userId, role: 'AGENT' },
    });
  });

  it('accepts ES256 access tokens too', async () => {
    const ecKey = await SigningKey.generate('ES256');
    keySet.publish(signingKey, ecKey);
    const userId = randomUUID();

    const answer = await postQuery(
      gateway.url,
      WHOAMI,
      bearer(await ecKey.sign({ sub: userId, role: 'ADMIN' })),
    );

    expect(answer.body).toEqual({ data: { whoami: { userId, role: 'ADMIN' } } });
  });

  it('calls subgraphs with an anonymous service token when the request has no Authorization header', async () => {
    const answer = await postQuery(gateway.url, WHOAMI);

    expect(answer.body).toEqual({ data: { whoami: { userId: null, role: null } } });
    expect(user.calls).toHaveLength(1);
    expect(user.calls[0]).toMatchObject({ serviceName: 'gateway', identity: null });
  });

  describe('refuses the whole request with UNAUTHENTICATED, calling no subgraph, for', () => {
    const cases: Array<[string, () => Promise<string>]> = [
      ['a token with alg "none"', async () => unsignedToken({ sub: randomUUID(), role: 'ADMIN' })],
      [
        'a token signed with another key under the published kid',
        async () => (await SigningKey.generate('EdDSA', signingKey.kid)).sign({ role: 'ADMIN' }),
      ],
      [
        'a token signed with an unpublished key',
        async () => (await SigningKey.generate('EdDSA')).sign({ role: 'ADMIN' }),
      ],
      ['an expired token', () => signingKey.sign({ expiresIn: -60 })],
      ['a token from another issuer', () => signingKey.sign({ issuer: 'someone-else' })],
      ['a token for another audience', () => signingKey.sign({ audience: 'another-api' })],
      ['a malformed token', async () => 'not.a.jwt'],
    ];

    it.each(cases)('%s', async (_description, makeToken) => {
      const answer = await postQuery(gateway.url, WHOAMI, bearer(await makeToken()));

      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
      expect(answer.body.data).toBeUndefined();
      expect(answer.body.errors).toEqual([
        { message: 'Invalid or expired access token', extensions: { code: 'UNAUTHENTICATED' } },
      ]);
      expect(user.calls).toHaveLength(0);
      expect(user.rejected).toBe(0);
    });

    it('an Authorization header that is not a bearer token', async () => {
      const answer = await postQuery(gateway.url, WHOAMI, { authorization: 'Basic dXNlcjpwYXNz' });

      expect(answer.status).toBe(401);
      expect(answer.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      expect(user.calls).toHaveLength(0);
    });
  });

  it('picks up a rotated key: a token with the new kid is accepted, one with the retired key is not', async () => {
    const fetchesBefore = keySet.fetches;
    const rotated = await SigningKey.generate('EdDSA');
    keySet.publish(rotated);
    const userId = randomUUID();

    const withNewKey = await postQuery(
      gateway.url,
      WHOAMI,
      bearer(await rotated.sign({ sub: userId })),
    );
    const withRetiredKey = await postQuery(gateway.url, WHOAMI, bearer(await signingKey.sign()));

    expect(withNewKey.body).toEqual({ data: { whoami: { userId, role: 'CUSTOMER' } } });
    expect(keySet.fetches).toBeGreaterThan(fetchesBefore);
    expect(withRetiredKey.status).toBe(401);
    expect(withRetiredKey.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a token it accepted before, once its key is retired and the key set fetched again', async () => {
    const userId = randomUUID();
    const token = await signingKey.sign({ sub: userId });
    const before = await postQuery(gateway.url, WHOAMI, bearer(token));
    const rotated = await SigningKey.generate('EdDSA');
    keySet.publish(rotated);
    // Its new kid makes the gateway fetch the key set again.
    await postQuery(gateway.url, WHOAMI, bearer(await rotated.sign()));

    const after = await postQuery(gateway.url, WHOAMI, bearer(token));

    expect(before.body).toEqual({ data: { whoami: { userId, role: 'CUSTOMER' } } });
    expect(after.status).toBe(401);
    expect(after.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('gateway authentication when the key set cannot be fetched', () => {
  let user: FixtureSubgraph;
  let keySet: FixtureKeySet;
  const gateways: RunningGateway[] = [];

  beforeAll(async () => {
    user = await startUserSubgraph();
    keySet = await FixtureKeySet.start([]);
  });

  beforeEach(() => user.clearRecords());

  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.close()));
    await Promise.all([user?.stop(), keySet?.close()]);
  });

  async function gatewayWithKeySetAt(jwksUrl: string): Promise<RunningGateway> {
    const gateway = await startTestGateway([user], { JWKS_URL: jwksUrl, JWKS_TIMEOUT_MS: '300' });
    gateways.push(gateway);
    return gateway;
  }

  it('answers SERVICE_UNAVAILABLE within the key-set timeout when the key set does not answer', async () => {
    keySet.hang = true;
    const gateway = await gatewayWithKeySetAt(keySet.url);
    const token = await (await SigningKey.generate()).sign();
    const startedAt = Date.now();

    const answer = await postQuery(gateway.url, WHOAMI, bearer(token));

    expect(Date.now() - startedAt).toBeLessThan(3_000);
    expect(answer.status).toBe(503);
    expect(answer.body.errors?.[0].extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(user.calls).toHaveLength(0);
  });

  it('keeps verifying with the last fetched keys while the key set is unreachable', async () => {
    const key = await SigningKey.generate();
    const flaky = await FixtureKeySet.start([key]);
    // Every request finds the cache stale and refetches, so each one meets the outage.
    const gateway = await startTestGateway([user], {
      JWKS_URL: flaky.url,
      JWKS_TIMEOUT_MS: '300',
      JWKS_CACHE_MAX_AGE_MS: '1',
    });
    gateways.push(gateway);
    const userId = randomUUID();
    await postQuery(gateway.url, WHOAMI, bearer(await key.sign({ sub: userId })));
    await flaky.close();

    const knownKey = await postQuery(gateway.url, WHOAMI, bearer(await key.sign({ sub: userId })));
    const unknownKey = await postQuery(
      gateway.url,
      WHOAMI,
      bearer(await (await SigningKey.generate()).sign()),
    );

    expect(knownKey.body).toEqual({ data: { whoami: { userId, role: 'CUSTOMER' } } });
    expect(unknownKey.status).toBe(503);
    expect(unknownKey.body.errors?.[0].extensions?.code).toBe('SERVICE_UNAVAILABLE');
  });

  it('answers SERVICE_UNAVAILABLE when nothing listens at the key-set URL', async () => {
    const stopped = await FixtureKeySet.start([]);
    await stopped.close();
    const gateway = await gatewayWithKeySetAt(stopped.url);

    const answer = await postQuery(
      gateway.url,
      WHOAMI,
      bearer(await (await SigningKey.generate()).sign()),
    );

    expect(answer.status).toBe(503);
    expect(answer.body.errors?.[0].extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(user.calls).toHaveLength(0);
  });
});
