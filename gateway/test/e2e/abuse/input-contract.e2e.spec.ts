import { randomUUID } from 'node:crypto';
import { SERVICE_NAME_HEADER, SERVICE_TOKEN_HEADER, signServiceToken } from '@servicedesk/platform';
import { GraphQLResponse, errorOf, metricSample, postGraphQL } from '@servicedesk/testing';
import { Actor, register } from '../actors';
import { SubgraphName, startStack, Stack } from '../stack';
import { post, subgraphOutages } from './support';

const SUBGRAPHS: SubgraphName[] = ['user', 'ticket', 'appointment', 'audit', 'notification'];
const OUTAGES = ['http_error', 'timeout', 'unreachable'];
/** MAX_BODY_BYTES's default, which neither the gateway nor the subgraphs of the stack change. */
const MAX_BODY_BYTES = 1_048_576;
const CREATE_TICKET = 'mutation($input: CreateTicketInput!) { createTicket(input: $input) { id } }';
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
    name: 'register',
    field: 'input.email',
    query: 'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }',
    variables: (text) => ({
      input: { email: text, password: 'Pw-long-enough-42', name: 'N', timeZone: 'UTC' },
    }),
  },
  {
    name: 'register',
    field: 'input.name',
    query: 'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }',
    variables: (text) => ({
      input: { email: 'n@example.com', password: 'Pw-long-enough-42', name: text, timeZone: 'UTC' },
    }),
  },
  {
    name: 'register',
    field: 'input.password',
    query: 'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }',
    variables: (text) => ({
      input: { email: 'p@example.com', password: text, name: 'N', timeZone: 'UTC' },
    }),
  },
  {
    name: 'register',
    field: 'input.timeZone',
    query: 'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }',
    variables: (text) => ({
      input: { email: 't@example.com', password: 'Pw-long-enough-42', name: 'N', timeZone: text },
    }),
  },
  {
    name: 'login',
    field: 'email',
    query:
      'mutation($e: String!) { login(email: $e, password: "Pw-long-enough-42") { expiresIn } }',
    variables: (text) => ({ e: text }),
  },
  {
    name: 'login',
    field: 'password',
    query: 'mutation($p: String!) { login(email: "a@example.com", password: $p) { expiresIn } }',
    variables: (text) => ({ p: text }),
  },
  {
    name: 'refreshToken',
    field: 'refreshToken',
    query: 'mutation($t: String!) { refreshToken(refreshToken: $t) { expiresIn } }',
    variables: (text) => ({ t: text }),
  },
  {
    name: 'logout',
    field: 'refreshToken',
    query: 'mutation($t: String!) { logout(refreshToken: $t) }',
    variables: (text) => ({ t: text }),
  },
  {
    name: 'ticket',
    field: 'id',
    query: 'query($id: ID!) { ticket(id: $id) { id } }',
    variables: (text) => ({ id: text }),
  },
  {
    name: 'tickets',
    field: 'after',
    query: 'query($after: String) { tickets(after: $after) { edges { cursor } } }',
    variables: (text) => ({ after: text }),
  },
  {
    name: 'addComment',
    field: 'idempotencyKey',
    query:
      'mutation($id: ID!, $key: String) { addComment(ticketId: $id, body: "b", idempotencyKey: $key) { id } }',
    variables: (text) => ({ id: randomUUID(), key: text }),
  },
  {
    name: 'setAvailability',
    field: 'input.timeZone',
    query:
      'mutation($input: SetAvailabilityInput!) { setAvailability(input: $input) { timeZone } }',
    variables: (text) => ({ input: { timeZone: text, weeklyHours: [] } }),
  },
  {
    name: 'setAvailability',
    field: 'input.weeklyHours.0.startTime',
    query:
      'mutation($input: SetAvailabilityInput!) { setAvailability(input: $input) { timeZone } }',
    variables: (text) => ({
      input: { timeZone: 'UTC', weeklyHours: [{ weekday: 1, startTime: text, endTime: '17:00' }] },
    }),
  },
  {
    name: 'auditLog',
    field: 'filter.type',
    query: 'query($filter: AuditFilter) { auditLog(filter: $filter) { edges { cursor } } }',
    variables: (text) => ({ filter: { type: text } }),
  },
  {
    name: 'updateNotificationPreferences',
    field: 'input.quietHours.start',
    query:
      'mutation($input: UpdateNotificationPreferencesInput!) { updateNotificationPreferences(input: $input) { __typename } }',
    variables: (text) => ({ input: { quietHours: { start: text, end: '07:00' } } }),
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

  /** Refused as BAD_USER_INPUT naming `field`, and counted by the gateway as no outage. */
  async function expectRefused(response: GraphQLResponse<unknown>, field: string, message: RegExp) {
    const error = errorOf(response);
    expect({ code: error.code, field: error.field }).toEqual({ code: 'BAD_USER_INPUT', field });
    expect(error.message).toMatch(message);
    expect(await subgraphOutages(stack.gatewayManagementUrl)).toBe(0);
  }

  describe.each([
    ['a NUL character', 'before\u0000after', /NUL/],
    ['a lone surrogate', 'before\uD83Dafter', /unpaired surrogate/],
  ])('%s in a text input', (_case, text, message) => {
    it.each(TEXT_INPUTS.map((input) => [input.name, input.field, input] as const))(
      'in %s is BAD_USER_INPUT naming %s',
      async (_name, field, input) => {
        const response = await customer.query(input.query, input.variables(text));
        await expectRefused(response, field, message);
      },
    );
  });

  it('refuses NUL in a literal too, naming the field inside the input object', async () => {
    const response = await customer.query(
      'mutation { createTicket(input: {title: "a\\u0000b", description: "d"}) { id } }',
    );
    await expectRefused(response, 'input.title', /NUL/);
  });

  it('answers a 150 KB password with BAD_USER_INPUT about its length, not SERVICE_UNAVAILABLE', async () => {
    const password = 'p'.repeat(150 * 1024);
    const login = await stack.api.query(
      'mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }',
      { email: customer.email, password },
    );
    await expectRefused(login, 'password', /at most 128 characters/);
    const registration = await stack.api.query(
      'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }',
      { input: { email: 'long@example.com', password, name: 'Long', timeZone: 'UTC' } },
    );
    await expectRefused(registration, 'input.password', /at most 128 characters/);
  });

  it('answers a bad DateTime literal or variable with BAD_USER_INPUT naming the argument', async () => {
    const literal = await customer.query(
      `{ availableSlots(agentId: "${randomUUID()}", from: "yesterday", to: "${SOON}", durationMinutes: 30) { startsAt } }`,
    );
    await expectRefused(literal, 'from', /ISO-8601/);
    const nested = await customer.query(
      `mutation { bookAppointment(input: {agentId: "${randomUUID()}", startsAt: "soon", durationMinutes: 30}) { id } }`,
    );
    await expectRefused(nested, 'input.startsAt', /ISO-8601/);
    const variable = await customer.query(
      'query($agent: ID!, $from: DateTime!, $to: DateTime!) { availableSlots(agentId: $agent, from: $from, to: $to, durationMinutes: 30) { startsAt } }',
      { agent: randomUUID(), from: SOON, to: '2025-13-45' },
    );
    await expectRefused(variable, 'to', /ISO-8601/);
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

  /** A createTicket request body of exactly `bytes` bytes, its description filling it up. */
  function ticketBodyOf(bytes: number): string {
    const body = (description: string) =>
      JSON.stringify({ query: CREATE_TICKET, variables: { input: { title: 't', description } } });
    return body('x'.repeat(bytes - body('').length));
  }

  it('holds the gateway and a subgraph to the same MAX_BODY_BYTES, to the byte', async () => {
    const token = await signServiceToken(stack.serviceTokenSecret, {
      issuer: 'gateway',
      audience: 'ticket',
      identity: { userId: customer.id, role: 'CUSTOMER' },
    });
    const atGateway = (bytes: number) =>
      post(stack.gatewayUrl, ticketBodyOf(bytes), {
        authorization: `Bearer ${customer.accessToken}`,
      });
    const atSubgraph = (bytes: number) =>
      post(stack.subgraphUrls.ticket, ticketBodyOf(bytes), {
        [SERVICE_NAME_HEADER]: 'gateway',
        [SERVICE_TOKEN_HEADER]: token,
      });

    const [gatewayAtLimit, gatewayOver] = [
      await atGateway(MAX_BODY_BYTES),
      await atGateway(MAX_BODY_BYTES + 1),
    ];
    const [subgraphAtLimit, subgraphOver] = [
      await atSubgraph(MAX_BODY_BYTES),
      await atSubgraph(MAX_BODY_BYTES + 1),
    ];

    expect([gatewayOver.status, subgraphOver.status]).toEqual([413, 413]);
    // At the limit both read the body, and the description's own limit refuses it.
    for (const atLimit of [gatewayAtLimit, subgraphAtLimit]) {
      expect(atLimit.status).not.toBe(413);
      expect(errorOf(atLimit)).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'input.description',
      });
    }
    expect(errorOf(gatewayOver)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'body' });
    expect(await subgraphOutages(stack.gatewayManagementUrl)).toBe(0);
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
