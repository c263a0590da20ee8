// The gateway's rate limits against the real stack and its Redis: each limit refuses with 429,
// RATE_LIMITED and the seconds to wait, before any subgraph is called; a gateway without Redis
// keeps serving and counting; a locked account is answered as any wrong login.
import { RunningGateway } from '@servicedesk/gateway';
import { dataOf, errorOf } from '@servicedesk/testing';
import { Actor, aPerson, login, register } from '../actors';
import { Stack, startStack } from '../stack';
import { dropRateLimitKeys, rateLimitKeyPrefix } from '../../fixtures/rate-limit-keys';
import {
  RawAnswer,
  clientAt,
  freshAddress,
  gatewayMetric,
  metricsOf,
  post,
  startGatewayFor,
  subgraphGraphQLRequests,
  sumSamples,
} from './support';
import { closedPort } from '../../fixtures/http-surfaces';

/** Small limits, so each is reached in a few requests; every test calls from addresses of its own. */
const LIMITS = {
  RATE_LIMIT_ANONYMOUS: '5/60',
  RATE_LIMIT_LOGIN_PER_ADDRESS: '4/900',
  RATE_LIMIT_LOGIN_PER_ACCOUNT: '5/900',
  RATE_LIMIT_REGISTER_PER_ADDRESS: '2/3600',
  RATE_LIMIT_MUTATIONS_PER_USER: '4/60',
};
const LOGIN_MAX_FAILURES = 3;

const LOGIN =
  'mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }';
const REGISTER = 'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }';
const CREATE_TICKET = (alias: string) =>
  `${alias}: createTicket(input: { title: "Rate", description: "limited" }) { id }`;

function expectRateLimited(answer: RawAnswer, windowSeconds: number): void {
  expect(answer.status).toBe(429);
  expect(answer.data).toBeUndefined();
  const [error] = answer.errors ?? [];
  expect(error?.extensions?.code).toBe('RATE_LIMITED');
  const retryAfter = error?.extensions?.retryAfter;
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
  expect(answer.headers.get('retry-after')).toBe(String(retryAfter));
}

describe('rate limits and lockout through the real stack', () => {
  const keyPrefix = rateLimitKeyPrefix('e2e-abuse-rate-limits');
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      ...LIMITS,
      RATE_LIMIT_KEY_PREFIX: keyPrefix,
      TRUST_PROXY: 'loopback',
      LOGIN_MAX_FAILURES: String(LOGIN_MAX_FAILURES),
    });
  });

  afterAll(async () => {
    await stack?.close();
    await dropRateLimitKeys(keyPrefix);
  });

  /** One request from `address`, answered with its headers. */
  const from = (
    address: string,
    query: string,
    variables?: Record<string, unknown>,
    accessToken?: string,
  ) =>
    post(
      stack.gatewayUrl,
      { query, variables },
      {
        'x-forwarded-for': address,
        ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
      },
    );

  const refusals = async (limit: string) =>
    sumSamples(await metricsOf(stack.gatewayManagementUrl), 'gateway_rate_limited_total', {
      limit,
    });

  /** A customer registered and signed in from an address of their own. */
  const aCustomer = (name: string): Promise<Actor> =>
    register({ api: clientAt(stack.gatewayUrl, freshAddress()), admin: stack.admin }, name);

  it('refuses anonymous operations past the per-address limit with 429, RATE_LIMITED and Retry-After, calling no subgraph', async () => {
    const address = freshAddress();
    const person = aPerson('Anon');
    const aLogin = () => from(address, LOGIN, { email: person.email, password: 'wrong' });
    for (let index = 0; index < 4; index += 1) {
      expect(errorOf(await aLogin()).code).toBe('UNAUTHENTICATED');
    }
    // The fifth operation is the last the window allows; the sixth is refused.
    expect(dataOf(await from(address, '{ __typename }'))).toEqual({ __typename: 'Query' });
    const refusedBefore = await refusals('anonymous');
    const subgraphCallsBefore = await subgraphGraphQLRequests(stack);

    const refused = await from(address, '{ __typename }');

    expectRateLimited(refused, 60);
    expect(await refusals('anonymous')).toBe(refusedBefore + 1);
    expect(await subgraphGraphQLRequests(stack)).toBe(subgraphCallsBefore);
    expect(dataOf(await from(freshAddress(), '{ __typename }'))).toEqual({
      __typename: 'Query',
    });
  });

  it('refuses one address trying many accounts past the login limit per address', async () => {
    const address = freshAddress();
    const tryLogin = () => from(address, LOGIN, { email: aPerson().email, password: 'wrong' });
    for (let index = 0; index < 4; index += 1) {
      expect(errorOf(await tryLogin()).code).toBe('UNAUTHENTICATED');
    }
    const refusedBefore = await refusals('login_per_address');

    expectRateLimited(await tryLogin(), 900);
    expect(await refusals('login_per_address')).toBe(refusedBefore + 1);
  });

  it('refuses one account tried from many addresses past the login limit per account, even with the right password', async () => {
    const victim = await aCustomer('Victim');
    for (let index = 0; index < 5; index += 1) {
      const answer = await from(freshAddress(), LOGIN, { email: victim.email, password: 'x' });
      expect(errorOf(answer).code).toBe('UNAUTHENTICATED');
    }
    const refusedBefore = await refusals('login_per_account');

    const refused = await from(freshAddress(), LOGIN, {
      email: victim.email,
      password: victim.password,
    });

    expectRateLimited(refused, 900);
    expect(await refusals('login_per_account')).toBe(refusedBefore + 1);
  });

  it('refuses a signed-in user’s mutation fields past their limit, aliases counted, and runs none of the refused operation', async () => {
    const customer = await aCustomer('Busy');
    const address = freshAddress();
    const create = (...aliases: string[]) =>
      from(
        address,
        `mutation { ${aliases.map(CREATE_TICKET).join(' ')} }`,
        {},
        customer.accessToken,
      );
    dataOf(await create('a', 'b'));
    dataOf(await create('c'));
    const subgraphCallsBefore = await subgraphGraphQLRequests(stack);

    // Three fields spent of four: two more aliases are one too many.
    const refused = await create('d', 'e');

    expectRateLimited(refused, 60);
    expect(await subgraphGraphQLRequests(stack)).toBe(subgraphCallsBefore);
    const { tickets } = dataOf(
      await customer.query<{ tickets: { edges: unknown[] } }>('{ tickets { edges { cursor } } }'),
    );
    expect(tickets.edges).toHaveLength(3);
  });

  it('refuses registrations from one address past its limit, creating no account', async () => {
    const address = freshAddress();
    const people = [aPerson('One'), aPerson('Two'), aPerson('Three')];
    dataOf(await from(address, REGISTER, { input: people[0] }));
    dataOf(await from(address, REGISTER, { input: people[1] }));

    const refused = await from(address, REGISTER, { input: people[2] });

    expectRateLimited(refused, 3600);
    const attempt = await from(freshAddress(), LOGIN, {
      email: people[2].email,
      password: people[2].password,
    });
    expect(errorOf(attempt).code).toBe('UNAUTHENTICATED');
  });

  it('answers a locked account exactly as an unknown email or a wrong password', async () => {
    const locked = await aCustomer('Locked');
    const other = await aCustomer('Other');
    // Each attempt from an address of its own, so only the lockout, not a rate limit, answers.
    const attempt = (email: string, password: string) =>
      from(freshAddress(), LOGIN, { email, password });
    for (let index = 0; index < LOGIN_MAX_FAILURES; index += 1) {
      expect(errorOf(await attempt(locked.email, `wrong-${index}`)).code).toBe('UNAUTHENTICATED');
    }

    const lockedWithRightPassword = await attempt(locked.email, locked.password);
    const unknownEmail = await attempt(aPerson().email, locked.password);
    const wrongPassword = await attempt(other.email, 'wrong-password');

    const seen = (answer: RawAnswer) => ({
      status: answer.status,
      data: answer.data,
      errors: answer.errors,
    });
    expect(errorOf(lockedWithRightPassword)).toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'invalid email or password',
    });
    expect(seen(unknownEmail)).toEqual(seen(lockedWithRightPassword));
    expect(seen(wrongPassword)).toEqual(seen(lockedWithRightPassword));
    // The other account was never locked: its owner still gets in.
    await login(
      { api: clientAt(stack.gatewayUrl, freshAddress()), admin: stack.admin },
      other.email,
      other.password,
    );
  });

  it('counts in Redis: ready with Redis up, and gateway_rate_limiter_redis_up 1', async () => {
    const readiness = await fetch(`${stack.gatewayManagementUrl}/health/ready`);
    expect(await readiness.json()).toMatchObject({ rateLimits: { redis: 'up' } });
    expect(
      await gatewayMetric(
        { managementUrl: stack.gatewayManagementUrl },
        'gateway_rate_limiter_redis_up',
      ),
    ).toBe(1);
  });

  describe('with Redis unreachable', () => {
    let gateway: RunningGateway;
    let customer: Actor;

    beforeAll(async () => {
      customer = await aCustomer('Offline');
      gateway = await startGatewayFor(stack, {
        REDIS_URL: `redis://127.0.0.1:${await closedPort()}`,
        RATE_LIMIT_KEY_PREFIX: keyPrefix,
        RATE_LIMIT_ANONYMOUS: '3/60',
        TRUST_PROXY: 'loopback',
      });
    });

    afterAll(async () => {
      await gateway?.close();
    });

    it('keeps serving signed-in and anonymous requests', async () => {
      const answer = await post(
        gateway.url,
        { query: '{ me { id } }' },
        { authorization: `Bearer ${customer.accessToken}` },
      );
      expect(dataOf(answer)).toEqual({ me: { id: customer.id } });
      expect(dataOf(await post(gateway.url, { query: '{ __typename }' }))).toEqual({
        __typename: 'Query',
      });
    });

    it('stays ready and says Redis is down in its readiness body', async () => {
      const response = await fetch(`${gateway.managementUrl}/health/ready`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ rateLimits: { redis: 'down' } });
    });

    it('reports gateway_rate_limiter_redis_up 0', async () => {
      expect(await gatewayMetric(gateway, 'gateway_rate_limiter_redis_up')).toBe(0);
    });

    it('still limits, counting in memory', async () => {
      const address = freshAddress();
      const anonymous = () =>
        post(gateway.url, { query: '{ __typename }' }, { 'x-forwarded-for': address });
      for (let index = 0; index < 3; index += 1) dataOf(await anonymous());

      expectRateLimited(await anonymous(), 60);
    });
  });
});
