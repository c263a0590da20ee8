import {
  Identity,
  SERVICE_NAME_HEADER,
  SERVICE_TOKEN_HEADER,
  signServiceToken,
} from '@servicedesk/platform';

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> }>;
}

/** POSTs one operation to `url` with exactly `headers` (no credential unless given). */
export async function postGraphQL<T = Record<string, unknown>>(
  url: string,
  headers: Record<string, string>,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: { data?: T | null; errors?: GraphQLResponse['errors'] } = {};
  try {
    body = JSON.parse(text);
  } catch {
    body = { errors: [{ message: text }] };
  }
  return { status: response.status, data: body.data, errors: body.errors };
}

/**
 * Calls one subgraph directly the way the gateway does: with a service credential
 * carrying `identity` (or none, for anonymous operations such as `login`).
 */
export function subgraphClient(options: { url: string; service: string; secret: string }) {
  return {
    async query<T = Record<string, unknown>>(
      query: string,
      variables?: Record<string, unknown>,
      identity: Identity | null = null,
    ): Promise<GraphQLResponse<T>> {
      const token = await signServiceToken(options.secret, {
        issuer: 'gateway',
        audience: options.service,
        identity,
      });
      return postGraphQL<T>(
        options.url,
        { [SERVICE_NAME_HEADER]: 'gateway', [SERVICE_TOKEN_HEADER]: token },
        query,
        variables,
      );
    },
  };
}

/** Calls the gateway as a client would: with a bearer access token, or anonymously. */
export function gatewayClient(url: string) {
  return {
    query<T = Record<string, unknown>>(
      query: string,
      variables?: Record<string, unknown>,
      accessToken?: string,
    ): Promise<GraphQLResponse<T>> {
      return postGraphQL<T>(
        url,
        accessToken ? { authorization: `Bearer ${accessToken}` } : {},
        query,
        variables,
      );
    },
  };
}

/** The data of a response that must have succeeded (its errors are shown otherwise). */
export function dataOf<T>(response: GraphQLResponse<T>): T {
  if (response.errors?.length || !response.data) {
    throw new Error(`expected success, got ${response.status}: ${JSON.stringify(response.errors)}`);
  }
  return response.data;
}

/** The first error of a failed response: its code and (for BAD_USER_INPUT) its field. */
export function errorOf(response: GraphQLResponse<unknown>): {
  code: unknown;
  field: unknown;
  message: string;
} {
  const [error] = response.errors ?? [];
  if (!error) throw new Error(`expected an error, got ${JSON.stringify(response.data)}`);
  return { code: error.extensions?.code, field: error.extensions?.field, message: error.message };
}
