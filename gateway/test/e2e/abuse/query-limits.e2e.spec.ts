import { GraphQLResponse, dataOf, errorOf, subgraphClient } from '@servicedesk/testing';
import { Actor, aPerson, createTicket, register } from '../actors';
import { Stack, startStack } from '../stack';
import { post, subgraphGraphQLRequests } from './support';

/**
 * A refusal is decided while parsing and validating: tens of milliseconds end to end on a busy
 * test machine (70–180 ms measured with a load of 14 on two cores). The bound only catches a
 * refusal that waited on something; that no subgraph was called is asserted on its own.
 */
const REFUSAL_MS = 1_000;

const repeat = (times: number, text: string) => text.repeat(times);
const aliases = (count: number, field: string): string =>
  Array.from({ length: count }, (_, index) => `a${index}: ${field}`).join(' ');

/** The abusive operations of a self-registered customer, each with the limit that refuses it. */
const ATTACKS = {
  'a query 42 levels deep': [
    'depth',
    `{ me { ${repeat(10, 'tickets { edges { node { requester { ')} id ${repeat(10, '} } } } ')} } }`,
  ],
  '21 aliases of me': ['aliases', `{ ${aliases(21, 'me { id }')} }`],
  '5,000 aliases of me': ['tokens', `{ ${aliases(5_000, 'me { id }')} }`],
  '21 directives on one field': ['directives', `{ me { id ${repeat(21, '@include(if: true) ')}} }`],
  'a 100k-token document': ['tokens', `{ me { ${repeat(100_000, 'id ')}} }`],
  'a nested read whose answer grows ×4 per level': [
    'cost',
    `{ tickets(first: 4) { edges { node { requester { tickets(first: 4) { edges { node {
      requester { tickets(first: 4) { edges { node { id } } } } } } } } } } } }`,
  ],
  'two nested pages of 100': [
    'cost',
    `{ tickets(first: 100) { edges { node { requester {
      tickets(first: 100) { edges { node { id title } } } } } } } }`,
  ],
} as const;

const HEAVY_READ = `query BenchTickets { tickets(first: 20) { edges { node {
  id title requester { name } assignee { name } comments { author { name } } } } } }`;

function limitsNamedBy(response: GraphQLResponse<unknown>): unknown[] {
  return (response.errors ?? []).map((error) =>
    error.extensions?.code === 'QUERY_LIMIT_EXCEEDED' ? error.extensions.limit : error.message,
  );
}

describe('query limits and error hygiene through the production stack', () => {
  let stack: Stack;
  let customer: Actor;

  beforeAll(async () => {
    stack = await startStack({ NODE_ENV: 'production' });
    customer = await register(stack, 'Mallory');
    await createTicket(customer);
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('serves the benchmark’s heavy read, which the subgraphs count as they receive it', async () => {
    const subgraphCallsBefore = await subgraphGraphQLRequests(stack);

    const { tickets } = dataOf(await customer.query<{ tickets: { edges: unknown[] } }>(HEAVY_READ));

    expect(tickets.edges).toHaveLength(1);
    // The count the refusals below leave unchanged does move when subgraphs are called.
    expect(await subgraphGraphQLRequests(stack)).toBeGreaterThan(subgraphCallsBefore);
  });

  it.each(Object.entries(ATTACKS))(
    'refuses %s from a customer',
    async (_attack, [limit, query]) => {
      const subgraphCallsBefore = await subgraphGraphQLRequests(stack);
      const startedAt = performance.now();
      const response = await customer.query(query);
      const elapsedMs = performance.now() - startedAt;

      expect(response.status).toBe(400);
      expect(response.data).toBeUndefined();
      expect(limitsNamedBy(response)).toContain(limit);
      expect(elapsedMs).toBeLessThan(REFUSAL_MS);
      expect(await subgraphGraphQLRequests(stack)).toBe(subgraphCallsBefore);
    },
  );

  it('bounds aliased __typename without a login by the alias limit', async () => {
    const subgraphCallsBefore = await subgraphGraphQLRequests(stack);
    const response = await stack.api.query(`{ ${aliases(100, '__typename')} }`);

    expect(response.status).toBe(400);
    expect(limitsNamedBy(response)).toEqual(['aliases']);
    expect(await subgraphGraphQLRequests(stack)).toBe(subgraphCallsBefore);
  });

  it('refuses two different sensitive mutations in one operation, running neither', async () => {
    const person = aPerson('Twice');
    const subgraphCallsBefore = await subgraphGraphQLRequests(stack);

    const response = await stack.api.query(
      `mutation($input: RegisterInput!, $e: String!, $p: String!) {
        register(input: $input) { accessToken } login(email: $e, password: $p) { accessToken } }`,
      { input: person, e: person.email, p: person.password },
    );

    expect(response.status).toBe(400);
    expect(limitsNamedBy(response)).toEqual(['sensitiveMutations']);
    expect(await subgraphGraphQLRequests(stack)).toBe(subgraphCallsBefore);
  });

  it.each([
    ['an unknown operation name', { query: 'query Mine { me { id } }', operationName: 'Theirs' }],
    [
      'no name for one of several operations',
      { query: 'query A { me { id } } query B { me { id } }' },
    ],
  ])('answers %s 400 BAD_REQUEST, calling no subgraph', async (_case, body) => {
    const subgraphCallsBefore = await subgraphGraphQLRequests(stack);

    const answer = await post(stack.gatewayUrl, body, {
      authorization: `Bearer ${customer.accessToken}`,
    });

    expect(answer.status).toBe(400);
    expect(errorOf(answer).code).toBe('BAD_REQUEST');
    expect(await subgraphGraphQLRequests(stack)).toBe(subgraphCallsBefore);
  });

  it('creates no account from 20 aliased register mutations', async () => {
    const people = Array.from({ length: 20 }, () => aPerson('Bulk'));
    const variables = Object.fromEntries(people.map((person, index) => [`p${index}`, person]));
    const signature = people.map((_, index) => `$p${index}: RegisterInput!`).join(', ');
    const fields = people.map(
      (_, index) => `r${index}: register(input: $p${index}) { accessToken }`,
    );

    const response = await stack.api.query(
      `mutation(${signature}) { ${fields.join(' ')} }`,
      variables,
    );
    const firstLogin = await stack.api.query(
      'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }',
      { e: people[0].email, p: people[0].password },
    );

    expect(response.status).toBe(400);
    expect(limitsNamedBy(response)).toEqual(['sensitiveMutations']);
    expect(errorOf(firstLogin).code).toBe('UNAUTHENTICATED');
  });

  it('gives no suggestion for a bad enum value in variables, at the gateway or a subgraph', async () => {
    const query =
      'query($s: [TicketStatus!]) { tickets(filter: { status: $s }) { edges { cursor } } }';
    const ticketSubgraph = subgraphClient({
      url: stack.subgraphUrls.ticket,
      service: 'ticket',
      secret: stack.serviceTokenSecret,
    });

    const throughGateway = await customer.query(query, { s: ['OPN'] });
    const direct = await ticketSubgraph.query(
      query,
      { s: ['OPN'] },
      { userId: customer.id, role: 'CUSTOMER' },
    );

    for (const response of [throughGateway, direct]) {
      expect(errorOf(response).code).toBe('BAD_USER_INPUT');
      expect(errorOf(response).message).toContain('"OPN"');
      expect(errorOf(response).message).not.toMatch(/did you mean/i);
    }
  });

  it.each([
    ['a misspelt field', '{ mee { id } }', undefined],
    ['a misspelt argument', '{ tickets(frist: 5) { edges { cursor } } }', undefined],
    [
      'a misspelt enum literal',
      '{ tickets(filter: { status: [OPN] }) { edges { cursor } } }',
      undefined,
    ],
    [
      'a misspelt input field in a variable',
      'mutation($input: CreateTicketInput!) { createTicket(input: $input) { id } }',
      { input: { titel: 'Printer', description: 'on fire' } },
    ],
    [
      'a misspelt type of a variable',
      'query($s: [TicketStatu!]) { tickets(filter: { status: $s }) { edges { cursor } } }',
      { s: ['OPEN'] },
    ],
  ])('gives no "Did you mean" for %s in production', async (_case, query, variables) => {
    const response = await customer.query(query, variables);

    expect(response.errors?.length).toBeGreaterThan(0);
    for (const error of response.errors ?? []) expect(error.message).not.toMatch(/did you mean/i);
  });
});
