/** How long one call through the gateway may take before it counts as failed. */
const REQUEST_TIMEOUT_MS = 30_000;

/** A GraphQL call that failed: HTTP status, or the first error's code and message. */
export class GraphQLCallError extends Error {
  constructor(
    message: string,
    /** The first error's `extensions.code`, e.g. CONFLICT; null for HTTP or transport failures. */
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

interface GraphQLBody<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: unknown } }>;
}

/**
 * Sends operations to the gateway as a client would (JSON over HTTP, bearer token), through
 * Node's fetch, which keeps connections alive between calls.
 */
export class GatewayClient {
  constructor(
    private readonly url: string,
    private readonly signal: AbortSignal,
    /** Sent with every call, e.g. a service credential when calling a subgraph directly. */
    private readonly headers: Record<string, string> = {},
  ) {}

  /** The `data` of a call that succeeded; throws GraphQLCallError otherwise. */
  async call<T>(
    query: string,
    variables: Record<string, unknown> = {},
    token?: string,
  ): Promise<T> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...this.headers,
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.any([this.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
    });
    const text = await response.text();
    let body: GraphQLBody<T>;
    try {
      body = JSON.parse(text) as GraphQLBody<T>;
    } catch {
      throw new GraphQLCallError(`HTTP ${response.status}: ${text.slice(0, 200)}`);
    }
    const [first] = body.errors ?? [];
    if (first) {
      const code = typeof first.extensions?.code === 'string' ? first.extensions.code : null;
      throw new GraphQLCallError(code ? `${code}: ${first.message}` : first.message, code);
    }
    if (!response.ok || !body.data) throw new GraphQLCallError(`HTTP ${response.status}`);
    return body.data;
  }
}

/** A signed-in person the benchmark acts as. */
export interface Actor {
  id: string;
  email: string;
  password: string;
  token: string;
}
