import { performance } from 'node:perf_hooks';
import { RunningGateway } from '../src/gateway';
import { FixtureKeySet } from './fixtures/fixture-key-set';
import { FixtureSubgraph } from './fixtures/fixture-subgraph';
import { HttpAnswer, TEST_SERVICE_SECRET, startTestGateway } from './fixtures/test-gateway';

/** A subgraph with lists that take `first`, a recursive type, an enum and sensitive mutations. */
const PEOPLE_TYPE_DEFS = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

  enum Role {
    CUSTOMER
    AGENT
  }

  type Query {
    me: User
    users(first: Int, role: Role): [User!]!
  }

  type Mutation {
    register(name: String!): User!
    setUserRole(userId: ID!, role: Role!): User!
    rename(name: String!): User!
  }

  type User @key(fields: "id") {
    id: ID!
    name: String!
    manager: User
    colleagues(first: Int): [User!]!
  }
`;

const person = (id: string) => ({ id, name: `Name of ${id}` });

function startPeopleSubgraph(): Promise<FixtureSubgraph> {
  return FixtureSubgraph.start({
    name: 'people',
    typeDefs: PEOPLE_TYPE_DEFS,
    secret: TEST_SERVICE_SECRET,
    resolvers: {
      Query: {
        me: () => person('me'),
        users: (_parent, { first }: { first?: number }) =>
          Array.from({ length: first ?? 1 }, (_, index) => person(`user-${index}`)),
      },
      Mutation: {
        register: (_parent, { name }: { name: string }) => ({ id: 'new', name }),
        setUserRole: (_parent, { userId }: { userId: string }) => person(userId),
        rename: (_parent, { name }: { name: string }) => ({ id: 'me', name }),
      },
      User: {
        manager: ({ id }: { id: string }) => person(`manager-of-${id}`),
        colleagues: ({ id }: { id: string }, { first }: { first?: number }) =>
          Array.from({ length: first ?? 1 }, (_, index) => person(`${id}-${index}`)),
      },
    },
  });
}

const nested = (levels: number, field: string, leaf: string): string =>
  levels === 0 ? leaf : `${field} { ${nested(levels - 1, field, leaf)} }`;

const aliases = (count: number, field: string): string =>
  Array.from({ length: count }, (_, index) => `a${index}: ${field}`).join(' ');

/** Abusive operations, each with the limit that refuses it first at the default limits. */
const ATTACKS = {
  'a query 42 levels deep': ['depth', `{ me { ${nested(41, 'manager', 'id')} } }`],
  '100 aliases of me': ['aliases', `{ ${aliases(100, 'me { id }')} }`],
  '100 aliases of __typename (no login needed)': ['aliases', `{ ${aliases(100, '__typename')} }`],
  '5,000 aliases of me (too long to parse)': ['tokens', `{ ${aliases(5_000, 'me { id }')} }`],
  'a 100k-token document': ['tokens', `{ me { ${'id '.repeat(100_000)}} }`],
  'an answer growing ×4 per level': [
    'cost',
    `{ users(first: 4) { ${nested(5, 'colleagues(first: 4)', 'id name')} } }`,
  ],
  '30 directives': ['directives', `{ me { ${'id @skip(if: false) '.repeat(30)}} }`],
  '20 aliased register mutations': [
    'sensitiveMutations',
    `mutation { ${aliases(20, 'register(name: "x") { id }')} }`,
  ],
} as const;

/** How each limit is named in the message of its refusal. */
const LIMIT_NAMES: Record<string, string> = {
  depth: 'depth',
  aliases: 'aliases',
  tokens: 'token',
  directives: 'directives',
  cost: 'cost',
  sensitiveMutations: 'sensitive mutations',
};

async function post(
  url: string,
  body: { query: string; variables?: Record<string, unknown> },
): Promise<HttpAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as HttpAnswer['body'],
  };
}

describe('gateway query limits', () => {
  let people: FixtureSubgraph;
  let keySet: FixtureKeySet;
  const gateways: RunningGateway[] = [];
  let gateway: RunningGateway;

  async function gatewayWith(env: Record<string, string> = {}): Promise<RunningGateway> {
    const started = await startTestGateway([people], { JWKS_URL: keySet.url, ...env });
    gateways.push(started);
    return started;
  }

  beforeAll(async () => {
    [people, keySet] = await Promise.all([startPeopleSubgraph(), FixtureKeySet.start([])]);
    gateway = await gatewayWith();
  });

  beforeEach(() => people.clearRecords());

  afterAll(async () => {
    await Promise.all(gateways.map((started) => started.close()));
    await Promise.all([people?.stop(), keySet?.close()]);
  });

  it.each(Object.entries(ATTACKS))(
    'refuses %s with QUERY_LIMIT_EXCEEDED naming the limit, before any subgraph call',
    async (_attack, [limit, query]) => {
      const answer = await post(gateway.url, { query });

      expect(answer.status).toBe(400);
      expect(answer.body.data).toBeUndefined();
      const refusal = answer.body.errors?.find((error) => error.extensions?.limit === limit);
      expect(refusal?.extensions).toEqual({
        code: 'QUERY_LIMIT_EXCEEDED',
        limit,
        max: expect.any(Number),
      });
      expect(refusal?.message.toLowerCase()).toContain(`${LIMIT_NAMES[limit]} limit of`);
      // Some operations break more than one limit (42 levels are costly too): each is named.
      for (const error of answer.body.errors ?? []) {
        expect(error.extensions?.code).toBe('QUERY_LIMIT_EXCEEDED');
      }
      expect(people.calls).toHaveLength(0);
    },
  );

  it('serves operations within every limit', async () => {
    const answer = await post(gateway.url, {
      query: `{ a: me { id } b: me { name } users(first: 3) { colleagues(first: 2) { manager { name } } } }`,
    });

    expect(answer.body.errors).toBeUndefined();
    expect((answer.body.data?.users as unknown[]).length).toBe(3);
    expect(people.calls.length).toBeGreaterThan(0);
  });

  it('lets one sensitive mutation through with others, but not a second under any alias or fragment', async () => {
    const one = await post(gateway.url, {
      query: 'mutation { register(name: "Ann") { id } rename(name: "Ann") { id } }',
    });
    const throughFragments = await post(gateway.url, {
      query: `mutation { ...Join ... on Mutation { promote: setUserRole(userId: "u", role: AGENT) { id } } }
        fragment Join on Mutation { register(name: "Bob") { id } }`,
    });

    expect(one.body.errors).toBeUndefined();
    expect(people.calls).toHaveLength(1);
    expect(throughFragments.status).toBe(400);
    expect(throughFragments.body.errors?.[0].extensions).toMatchObject({
      code: 'QUERY_LIMIT_EXCEEDED',
      limit: 'sensitiveMutations',
      max: 1,
    });
    expect(people.calls).toHaveLength(1);
  });

  it('takes each limit from its variable', async () => {
    const strict = await gatewayWith({
      QUERY_MAX_DEPTH: '3',
      QUERY_MAX_ALIASES: '1',
      QUERY_MAX_TOKENS: '25',
      QUERY_MAX_DIRECTIVES: '1',
      QUERY_MAX_COST: '20',
    });
    const refusedBy = async (query: string) =>
      (await post(strict.url, { query })).body.errors?.[0].extensions?.limit;

    expect(await refusedBy('{ me { manager { manager { id } } } }')).toBe('depth');
    expect(await refusedBy('{ a: me { id } b: me { id } }')).toBe('aliases');
    expect(await refusedBy(`{ me { ${'id '.repeat(30)}} }`)).toBe('tokens');
    expect(await refusedBy('{ me { id @skip(if: false) name @skip(if: false) } }')).toBe(
      'directives',
    );
    expect(await refusedBy('{ users(first: 10) { id name } }')).toBe('cost');
    expect(people.calls).toHaveLength(0);
  });

  describe('in production', () => {
    let production: RunningGateway;

    beforeAll(async () => {
      production = await gatewayWith({
        NODE_ENV: 'production',
        SERVICE_TOKEN_SECRET: TEST_SERVICE_SECRET,
      });
    });

    it('gives no suggestion for a bad enum value in variables, as development does', async () => {
      const badRole = {
        query: 'query($role: Role) { users(first: 1, role: $role) { id } }',
        variables: { role: 'AGENTS' },
      };

      const [inDevelopment, inProduction] = await Promise.all([
        post(gateway.url, badRole),
        post(production.url, badRole),
      ]);

      expect(inDevelopment.body.errors?.[0].message).toMatch(
        /did you mean the enum value "AGENT"/i,
      );
      expect(inProduction.body.errors).toHaveLength(1);
      expect(inProduction.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(inProduction.body.errors?.[0].message).toContain('"AGENTS"');
      expect(inProduction.body.errors?.[0].message).not.toMatch(/did you mean/i);
    });

    it('gives no suggestion for a misspelt argument or input field', async () => {
      const answers = await Promise.all(
        ['{ users(frist: 1) { id } }', '{ users(first: 1) { nmae } }'].map((query) =>
          post(production.url, { query }),
        ),
      );

      for (const answer of answers) {
        expect(answer.body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
        expect(answer.body.errors?.[0].message).not.toMatch(/did you mean/i);
      }
    });
  });

  it('answers refusals fast (the time is printed, not asserted)', async () => {
    const timings: string[] = [];
    for (const [attack, [, query]] of Object.entries(ATTACKS)) {
      const durations: number[] = [];
      for (let attempt = 0; attempt < 20; attempt += 1) {
        const started = performance.now();
        await post(gateway.url, { query });
        durations.push(performance.now() - started);
      }
      durations.sort((a, b) => a - b);
      const median = durations[Math.floor(durations.length / 2)];
      timings.push(
        `  ${attack.padEnd(45)} median ${median.toFixed(1)} ms, max ${durations.at(-1)?.toFixed(1)} ms`,
      );
    }
    process.stdout.write(
      `Time to refuse an abusive operation (20 tries each):\n${timings.join('\n')}\n`,
    );

    expect(people.calls).toHaveLength(0);
  });
});
