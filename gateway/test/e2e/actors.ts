import { randomUUID } from 'node:crypto';
import { GraphQLResponse, dataOf } from '@servicedesk/testing';
import { Stack } from './stack';

/** A signed-in person as the end-to-end specs drive them: through the gateway only. */
export interface Actor {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  query<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<GraphQLResponse<T>>;
}

interface AuthPayload {
  accessToken: string;
  refreshToken: string;
  user: { id: string };
}

const AUTH_FIELDS = 'accessToken refreshToken user { id }';

/** What the actors need of a stack: its API and the admin's account. */
type Gateway = Pick<Stack, 'api' | 'admin'>;

function actorFrom(stack: Gateway, email: string, password: string, auth: AuthPayload): Actor {
  return {
    id: auth.user.id,
    email,
    password,
    accessToken: auth.accessToken,
    refreshToken: auth.refreshToken,
    query: (query, variables) => stack.api.query(query, variables, auth.accessToken),
  };
}

export function aPerson(name = 'Customer') {
  return {
    email: `${name.toLowerCase().replace(/\W+/g, '-')}-${randomUUID().slice(0, 8)}@example.com`,
    password: `Pw-${randomUUID()}`,
    name,
    timeZone: 'Europe/Paris',
  };
}

export async function register(stack: Gateway, name = 'Customer'): Promise<Actor> {
  const person = aPerson(name);
  const { register: auth } = dataOf(
    await stack.api.query<{ register: AuthPayload }>(
      `mutation($input: RegisterInput!) { register(input: $input) { ${AUTH_FIELDS} } }`,
      { input: person },
    ),
  );
  return actorFrom(stack, person.email, person.password, auth);
}

export async function login(stack: Gateway, email: string, password: string): Promise<Actor> {
  const { login: auth } = dataOf(
    await stack.api.query<{ login: AuthPayload }>(
      `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { ${AUTH_FIELDS} } }`,
      { email, password },
    ),
  );
  return actorFrom(stack, email, password, auth);
}

export function loginAdmin(stack: Gateway): Promise<Actor> {
  return login(stack, stack.admin.email, stack.admin.password);
}

/** Registers someone, has the admin make them an agent, and signs them in again with that role. */
export async function registerAgent(stack: Gateway, admin: Actor, name = 'Agent'): Promise<Actor> {
  const person = await register(stack, name);
  dataOf(
    await admin.query(`mutation($id: ID!) { setUserRole(userId: $id, role: AGENT) { id role } }`, {
      id: person.id,
    }),
  );
  return login(stack, person.email, person.password);
}

export async function createTicket(
  customer: Actor,
  input: Partial<{ title: string; description: string; priority: string; tags: string[] }> = {},
  idempotencyKey?: string,
): Promise<{ id: string; version: number }> {
  const { createTicket: ticket } = dataOf(
    await customer.query<{ createTicket: { id: string; version: number } }>(
      `mutation($input: CreateTicketInput!, $idempotencyKey: String) {
        createTicket(input: $input, idempotencyKey: $idempotencyKey) { id version } }`,
      {
        input: {
          title: 'Printer on fire',
          description: 'Smoke comes out of the second floor printer.',
          priority: 'HIGH',
          tags: ['hardware'],
          ...input,
        },
        idempotencyKey,
      },
    ),
  );
  return ticket;
}
