import { waitFor } from '@servicedesk/testing';
import { RunningGateway } from '../src/gateway';
import { FixtureKeySet, SigningKey } from './fixtures/fixture-key-set';
import { FixtureSubgraph } from './fixtures/fixture-subgraph';
import {
  TEST_REDIS_URL,
  dropRateLimitKeys,
  unthrottledRateLimits,
} from './fixtures/rate-limit-keys';
import {
  HttpAnswer,
  TEST_SERVICE_SECRET,
  bearer,
  postQuery,
  recordingLogger,
  startTestGateway,
} from './fixtures/test-gateway';
import { closedPort } from './fixtures/http-surfaces';

const ACCOUNTS_TYPE_DEFS = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

  type Query {
    ping: String!
  }

  type Mutation {
    register(email: String!): String!
    login(email: String!, password: String!): String!
    createTicket(title: String!): String!
  }
`;

const PING = '{ ping }';
const login = (email: string) =>
  `mutation { login(email: "${email}", password: "Some-password-1") }`;

function expectRateLimited(answer: HttpAnswer, maxRetryAfter: number): void {
  expect(answer.status).toBe(429);
  expect(answer.body.data).toBeUndefined();
  expect(answer.body.errors).toEqual([
    expect.objectContaining({
      extensions: { code: 'RATE_LIMITED', retryAfter: expect.any(Number) },
    }),
  ]);
  const retryAfter = answer.body.errors![0].extensions!.retryAfter as number;
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(maxRetryAfter);
  expect(answer.headers.get('retry-after')).toBe(String(retryAfter));
}

describe('rate limits', () => {
  const prefixes: string[] = [];
  const gateways: RunningGateway[] = [];
  let accounts: FixtureSubgraph;
  let signingKey: SigningKey;
  let keySet: FixtureKeySet;

  beforeAll(async () => {
    signingKey = await SigningKey.generate('EdDSA');
    [accounts, keySet] = await Promise.all([
      FixtureSubgraph.start({
        name: 'accounts',
        typeDefs: ACCOUNTS_TYPE_DEFS,
        secret: TEST_SERVICE_SECRET,
        resolvers: {
          Query: { ping: () => 'pong' },
          Mutation: {
            register: () => 'registered',
            login: () => 'signed in',
            createTicket: () => 'created',
          },
        },
      }),
      FixtureKeySet.start([signingKey]),
    ]);
  });

  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.close()));
    await Promise.all([accounts?.stop(), keySet?.close()]);
    await Promise.all(prefixes.map((prefix) => dropRateLimitKeys(prefix)));
  });

  beforeEach(() => accounts.clearRecords());

  /** A gateway counting under a key prefix of its own, every limit out of reach unless `limits` sets it. */
  async function gatewayWith(
    limits: Record<string, string>,
    options: { logger?: ReturnType<typeof recordingLogger>['logger'] } = {},
  ): Promise<{ gateway: RunningGateway; management: string }> {
    const env = { ...unthrottledRateLimits('rate-limits'), ...limits };
    prefixes.push(env.RATE_LIMIT_KEY_PREFIX);
    const gateway = await startTestGateway(
      [accounts],
      { JWKS_URL: keySet.url, ...env },
      options.logger,
    );
    gateways.push(gateway);
    return { gateway, management: gateway.managementUrl };
  }

  const metrics = async (management: string) => (await fetch(`${management}/metrics`)).text();
  const readiness = async (management: string) => {
    const response = await fetch(`${management}/health/ready`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('refuses anonymous operations past the per-address limit with 429, RATE_LIMITED and Retry-After, calling no subgraph', async () => {
    const { gateway, management } = await gatewayWith({ RATE_LIMIT_ANONYMOUS: '3/60' });

    for (let request = 1; request <= 3; request += 1) {
      expect((await postQuery(gateway.url, PING)).status).toBe(200);
    }
    const refused = await postQuery(gateway.url, PING);

    expectRateLimited(refused, 60);
    expect(accounts.calls).toHaveLength(3);
    expect(await metrics(management)).toMatch(
      /gateway_rate_limited_total\{limit="anonymous"[^}]*\} 1/,
    );
  });

  it('charges refused documents to the address of the sender, token or not, then answers 429 before reading its requests', async () => {
    const { gateway, management } = await gatewayWith({ RATE_LIMIT_ANONYMOUS: '3/60' });
    const token = await signingKey.sign();

    // Unparsable, invalid, several operations and none named: none runs an operation.
    const refusals = [
      await postQuery(gateway.url, '{ ping ', bearer(token)),
      await postQuery(gateway.url, '{ nothingHere }', bearer(token)),
      await postQuery(gateway.url, 'query A { ping } query B { ping }', bearer(token)),
      await postQuery(gateway.url, '{ ping'),
    ];
    expect(refusals.map((answer) => answer.status)).toEqual([400, 400, 400, 400]);

    const blocked = await postQuery(gateway.url, PING, bearer(token));
    expectRateLimited(blocked, 60);
    expect(accounts.calls).toHaveLength(0);
    expect(await metrics(management)).toMatch(
      /gateway_rate_limited_total\{limit="anonymous"[^}]*\} 2/,
    );
  });

  it('throttles one client logging in to many accounts', async () => {
    const { gateway, management } = await gatewayWith({ RATE_LIMIT_LOGIN_PER_ADDRESS: '5/600' });

    const answers: HttpAnswer[] = [];
    for (let account = 1; account <= 6; account += 1) {
      answers.push(await postQuery(gateway.url, login(`person-${account}@example.com`)));
    }

    expect(answers.slice(0, 5).map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    expectRateLimited(answers[5], 600);
    expect(await metrics(management)).toMatch(
      /gateway_rate_limited_total\{limit="login_per_address"[^}]*\} 1/,
    );
  });

  it('throttles one account attacked from many addresses, believing X-Forwarded-For from a trusted proxy', async () => {
    const { gateway, management } = await gatewayWith({
      RATE_LIMIT_LOGIN_PER_ACCOUNT: '3/600',
      RATE_LIMIT_LOGIN_PER_ADDRESS: '1/600',
      TRUST_PROXY: 'loopback',
    });

    const answers: HttpAnswer[] = [];
    for (let address = 1; address <= 4; address += 1) {
      answers.push(
        await postQuery(gateway.url, login('Target@Example.com'), {
          'x-forwarded-for': `198.51.100.${address}`,
        }),
      );
    }
    // Another letter case is the same account.
    const sameAccount = await postQuery(gateway.url, login('target@example.com'), {
      'x-forwarded-for': '198.51.100.99',
    });

    expect(answers.slice(0, 3).map((answer) => answer.status)).toEqual([200, 200, 200]);
    expectRateLimited(answers[3], 600);
    expectRateLimited(sameAccount, 600);
    expect(await metrics(management)).toMatch(
      /gateway_rate_limited_total\{limit="login_per_account"[^}]*\} 2/,
    );
  });

  it('counts the socket address and ignores X-Forwarded-For unless TRUST_PROXY is set', async () => {
    const { gateway } = await gatewayWith({ RATE_LIMIT_ANONYMOUS: '2/60' });

    const statuses: number[] = [];
    for (let address = 1; address <= 3; address += 1) {
      const answer = await postQuery(gateway.url, PING, {
        'x-forwarded-for': `198.51.100.${address}`,
      });
      statuses.push(answer.status);
    }

    expect(statuses).toEqual([200, 200, 429]);
  });

  it('limits the accounts one address creates', async () => {
    const { gateway, management } = await gatewayWith({
      RATE_LIMIT_REGISTER_PER_ADDRESS: '3/3600',
    });
    const register = (index: number) =>
      postQuery(gateway.url, `mutation { register(email: "new-${index}@example.com") }`);

    const answers: HttpAnswer[] = [];
    for (let index = 1; index <= 4; index += 1) answers.push(await register(index));

    expect(answers.slice(0, 3).map((answer) => answer.status)).toEqual([200, 200, 200]);
    expectRateLimited(answers[3], 3600);
    expect(accounts.calls).toHaveLength(3);
    expect(await metrics(management)).toMatch(
      /gateway_rate_limited_total\{limit="register_per_address"[^}]*\} 1/,
    );
  });

  it('limits the mutation fields of each signed-in user, aliases included', async () => {
    const { gateway } = await gatewayWith({ RATE_LIMIT_MUTATIONS_PER_USER: '3/60' });
    const [ann, bob] = await Promise.all([
      signingKey.sign({ sub: 'user-ann', role: 'CUSTOMER' }),
      signingKey.sign({ sub: 'user-bob', role: 'CUSTOMER' }),
    ]);
    const twoTickets = 'mutation { a: createTicket(title: "a") b: createTicket(title: "b") }';

    const first = await postQuery(gateway.url, twoTickets, bearer(ann));
    const second = await postQuery(gateway.url, twoTickets, bearer(ann));
    const otherUser = await postQuery(gateway.url, twoTickets, bearer(bob));
    const readsStillServed = await postQuery(gateway.url, PING, bearer(ann));

    expect(first.status).toBe(200);
    expectRateLimited(second, 60);
    expect(otherUser.status).toBe(200);
    expect(readsStillServed.status).toBe(200);
  });

  it('serves a limited client again once the window has passed', async () => {
    const { gateway } = await gatewayWith({ RATE_LIMIT_ANONYMOUS: '2/2' });
    await postQuery(gateway.url, PING);
    await postQuery(gateway.url, PING);
    expectRateLimited(await postQuery(gateway.url, PING), 2);
    expectRateLimited(await postQuery(gateway.url, PING), 2);

    const served = await waitFor(
      async () => {
        const answer = await postQuery(gateway.url, PING);
        return answer.status === 200 ? answer : undefined;
      },
      { timeoutMs: 5_000, description: 'a request served after the window' },
    );

    expect(served.body).toEqual({ data: { ping: 'pong' } });
  });

  it('reports Redis as up in readiness and metrics while it answers', async () => {
    const { management } = await gatewayWith({ REDIS_URL: TEST_REDIS_URL });

    await waitFor(
      async () => (await metrics(management)).match(/gateway_rate_limiter_redis_up\S* 1/),
      {
        description: 'the rate limiter connected to Redis',
      },
    );
    expect(await readiness(management)).toMatchObject({
      status: 200,
      body: { rateLimits: { redis: 'up' } },
    });
  });

  it('keeps serving and counting in memory when Redis is unreachable, says so once in the logs, in readiness and in metrics', async () => {
    const recorder = recordingLogger('info');
    const { gateway, management } = await gatewayWith(
      {
        REDIS_URL: `redis://127.0.0.1:${await closedPort()}`,
        RATE_LIMIT_ANONYMOUS: '5/60',
      },
      { logger: recorder.logger },
    );

    const statuses: number[] = [];
    for (let request = 1; request <= 6; request += 1) {
      statuses.push((await postQuery(gateway.url, PING)).status);
    }

    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(await readiness(management)).toMatchObject({
      status: 200,
      body: { status: 'ready', rateLimits: { redis: 'down' } },
    });
    expect(await metrics(management)).toMatch(/gateway_rate_limiter_redis_up\S* 0/);
    const unreachable = recorder.lines.filter((line) =>
      String(line.msg).startsWith('rate limits: Redis unreachable'),
    );
    expect(unreachable).toHaveLength(1);
    expect(unreachable[0].level).toBe('warn');
  });
});
