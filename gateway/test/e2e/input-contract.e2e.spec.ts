import { randomUUID } from 'node:crypto';
import { GraphQLResponse, errorOf, metricSample, postGraphQL } from '@servicedesk/testing';
import { Actor, register } from './actors';
import { SubgraphName, startStack, Stack } from './stack';

const SUBGRAPHS: SubgraphName[] = ['user', 'ticket', 'appointment', 'audit', 'notification'];
const OUTAGES = ['http_error', 'timeout', 'unreachable'];
const SOON = new Date(Date.now() + 86_400_000).toISOString();

/** The text inputs found to fail with an internal error, each with the field it must be refused as. */
const TEXT_INPUTS: Array<{
  name: string;
  field: string;
  query: string;
  variables: (text: string) => Record<string, unknown>;
}> = [
  {
    name: 'createTicket',
    field: 'input.title',
    query: 'mutation($input: CreateTicketInput!) { createTicket(input: $input) { id } }',
    variables: (text) => ({ input: { title: text, description: 'd' } }),
  },
  {
    name: 'createTicket',
    field: 'input.description',
    query: 'mutation($input: CreateTicketInput!) { createTicket(input: $input) { id } }',
    variables: (text) => ({ input: { title: 't', description: text } }),
  },
  {
    name: 'addComment',
    field: 'body',
    query: 'mutation($id: ID!, $body: String!) { addComment(ticketId: $id, body: $body) { id } }',
    variables: (text) => ({ id: randomUUID(), body: text }),
  },
  {
    name: 'tickets',
    field: 'filter.text',
    query: 'query($filter: TicketFilter) { tickets(filter: $filter) { edges { cursor } } }',
    variables: (text) => ({ filter: { text } }),
  },
  {
    name: 'tickets',
    field: 'filter.tag',
    query: 'query($filter: TicketFilter) { tickets(filter: $filter) { edges { cursor } } }',
    variables: (text) => ({ filter: { tag: text } }),
  },
  {
    name: 'bookAppointment',
    field: 'input.notes',
    query: 'mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { id } }',
    variables: (text) => ({
      input: { agentId: randomUUID(), startsAt: SOON, durationMinutes: 30, notes: text },
    }),
  },
  {
    name: 'cancelAppointment',
    field: 'reason',
    query:
      'mutation($id: ID!, $reason: String!) { cancelAppointment(id: $id, reason: $reason) { id } }',
    variables: (text) => ({ id: randomUUID(), reason: text }),
  },
  {
    name: 'rescheduleAppointment',
    field: 'reason',
    query:
      'mutation($id: ID!, $at: DateTime!, $reason: String) { rescheduleAppointment(id: $id, startsAt: $at, reason: $reason) { id } }',
    variables: (text) => ({ id: randomUUID(), at: SOON, reason: text }),
  },
  {
    name: 'addTimeOff',
    field: 'input.reason',
    query: 'mutation($input: AddTimeOffInput!) { addTimeOff(input: $input) { id } }',
    variables: (text) => ({
      input: {
        startsAt: SOON,
        endsAt: new Date(Date.now() + 2 * 86_400_000).toISOString(),
        reason: text,
      },
    }),
  },
];

describe('one input contract through the gateway', () => {
  let stack: Stack;
  let customer: Actor;

  beforeAll(async () => {
    stack = await startStack();
    customer = await register(stack, 'Ada');
  });

  afterAll(async () => {
    await stack?.close();
  });

  const gatewayMetrics = async () => (await fetch(`${stack.gatewayManagementUrl}/metrics`)).text();

  /** Subgraph calls of every outcome, or of the outage outcomes the alert counts. */
  async function subgraphCalls(outcomes?: string[]): Promise<number> {
    const exposition = await gatewayMetrics();
    const counted = outcomes ?? [...OUTAGES, 'ok', 'graphql_errors'];
    let total = 0;
    for (const subgraph of SUBGRAPHS) {
      for (const outcome of counted) {
        total +=
          metricSample(exposition, 'subgraph_request_duration_seconds_count', {
            subgraph,
            outcome,
          }) ?? 0;
      }
    }
    return total;
  }

  function expectRefused(response: GraphQLResponse<unknown>, field: string, message: RegExp) {
    const error = errorOf(response);
    expect({ code: error.code, field: error.field }).toEqual({ code: 'BAD_USER_INPUT', field });
    expect(error.message).toMatch(message);
  }

  describe.each([
    ['a NUL character', 'before\u0000after', /NUL/],
    ['a lone surrogate', 'before\uD83Dafter', /unpaired surrogate/],
  ])('%s in a text input', (_case, text, message) => {
    it.each(TEXT_INPUTS.map((input) => [input.name, input.field, input] as const))(
      'in %s is BAD_USER_INPUT naming %s',
      async (_name, field, input) => {
        const response = await customer.query(input.query, input.variables(text));
        expectRefused(response, field, message);
      },
    );
  });

  it('refuses NUL in a literal too, naming the field inside the input object', async () => {
    const response = await customer.query(
      'mutation { createTicket(input: {title: "a\\u0000b", description: "d"}) { id } }',
    );
    expectRefused(response, 'input.title', /NUL/);
  });

  it('answers a 150 KB password with BAD_USER_INPUT about its length, not SERVICE_UNAVAILABLE', async () => {
    const password = 'p'.repeat(150 * 1024);
    const login = await stack.api.query(
      'mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }',
      { email: customer.email, password },
    );
    expectRefused(login, 'password', /at most 128 characters/);
    const registration = await stack.api.query(
      'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }',
      { input: { email: 'long@example.com', password, name: 'Long', timeZone: 'UTC' } },
    );
    expectRefused(registration, 'input.password', /at most 128 characters/);
  });

  it('answers a bad DateTime literal or variable with BAD_USER_INPUT naming the argument', async () => {
    const literal = await customer.query(
      `{ availableSlots(agentId: "${randomUUID()}", from: "yesterday", to: "${SOON}", durationMinutes: 30) { startsAt } }`,
    );
    expectRefused(literal, 'from', /ISO-8601/);
    const nested = await customer.query(
      `mutation { bookAppointment(input: {agentId: "${randomUUID()}", startsAt: "soon", durationMinutes: 30}) { id } }`,
    );
    expectRefused(nested, 'input.startsAt', /ISO-8601/);
    const variable = await customer.query(
      'query($agent: ID!, $from: DateTime!, $to: DateTime!) { availableSlots(agentId: $agent, from: $from, to: $to, durationMinutes: 30) { startsAt } }',
      { agent: randomUUID(), from: SOON, to: '2025-13-45' },
    );
    expectRefused(variable, 'to', /ISO-8601/);
  });

  it('refuses a body over MAX_BODY_BYTES at the gateway with 413, calling no subgraph', async () => {
    const callsBefore = await subgraphCalls();
    const response = await postGraphQL(
      stack.gatewayUrl,
      { authorization: `Bearer ${customer.accessToken}` },
      'mutation($input: CreateTicketInput!) { createTicket(input: $input) { id } }',
      { input: { title: 't', description: 'x'.repeat(1_100_000) } },
    );
    expect(response.status).toBe(413);
    expect(errorOf(response)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'body' });
    expect(errorOf(response).message).toMatch(/larger than the limit of 1048576 bytes/);
    expect(await subgraphCalls()).toBe(callsBefore);
  });

  it('counts a subgraph refusing bad input as its answer, never as an outage', async () => {
    const outagesBefore = await subgraphCalls(OUTAGES);
    const answersBefore = await subgraphCalls(['graphql_errors']);
    const [title] = TEXT_INPUTS;
    await customer.query(title.query, title.variables('\u0000'));
    await stack.api.query(
      'mutation($p: String!) { login(email: "a@b.io", password: $p) { accessToken } }',
      {
        p: 'p'.repeat(150 * 1024),
      },
    );
    await customer.query(
      `{ availableSlots(agentId: "${randomUUID()}", from: "x", to: "y", durationMinutes: 30) { startsAt } }`,
    );
    expect(await subgraphCalls(['graphql_errors'])).toBe(answersBefore + 3);
    expect(await subgraphCalls(OUTAGES)).toBe(outagesBefore);
  });
});
