import { Role } from '@servicedesk/contracts';
import { uniqueName } from '@servicedesk/testing';

export interface Registration {
  email: string;
  password: string;
  name: string;
  timeZone: string;
}

/** A valid registration with a unique email; override what the test is about. */
export function aRegistration(overrides: Partial<Registration> = {}): Registration {
  return {
    email: `${uniqueName('person')}@example.com`,
    password: 'Correct-horse-battery-9',
    name: 'Ada Lovelace',
    timeZone: 'Europe/Berlin',
    ...overrides,
  };
}

export const USER_FIELDS = 'id email name role timeZone createdAt';
export const AUTH_PAYLOAD_FIELDS = `accessToken refreshToken expiresIn user { ${USER_FIELDS} }`;

export const REGISTER = `mutation Register($input: RegisterInput!) { register(input: $input) { ${AUTH_PAYLOAD_FIELDS} } }`;
export const LOGIN = `mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { ${AUTH_PAYLOAD_FIELDS} } }`;
export const REFRESH = `mutation Refresh($refreshToken: String!) { refreshToken(refreshToken: $refreshToken) { ${AUTH_PAYLOAD_FIELDS} } }`;
export const LOGOUT = `mutation Logout($refreshToken: String!) { logout(refreshToken: $refreshToken) }`;
export const ERASE_USER = `mutation EraseUser($userId: ID!) { eraseUser(userId: $userId) { userId erasedAt } }`;
export const SET_USER_ROLE = `mutation SetUserRole($userId: ID!, $role: Role!) { setUserRole(userId: $userId, role: $role) { ${USER_FIELDS} } }`;

export interface UserData {
  id: string;
  email: string;
  name: string;
  role: Role;
  timeZone: string;
  createdAt: string;
}

export interface AuthPayloadData {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: UserData;
}

interface QueryClient {
  query<T>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<{ data?: T | null; errors?: unknown[] }>;
}

/** Registers a new customer and returns the payload; fails the test when registration fails. */
export async function registerUser(service: QueryClient, overrides: Partial<Registration> = {}) {
  const registration = aRegistration(overrides);
  const response = await service.query<{ register: AuthPayloadData }>(REGISTER, {
    input: registration,
  });
  if (!response.data?.register)
    throw new Error(`registration failed: ${JSON.stringify(response.errors)}`);
  return { registration, ...response.data.register };
}
