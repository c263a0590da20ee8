import { GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import {
  CORRELATION_ID_HEADER,
  Identity,
  SERVICE_NAME_HEADER,
  SERVICE_TOKEN_HEADER,
} from '@servicedesk/platform';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { Histogram } from 'prom-client';
import { Agent, fetch } from 'undici';
import { serviceUnavailableError } from './errors';
import type { SubgraphOutcome } from './metrics';
import type { ServiceTokenCache } from './service-token-cache';

export const GATEWAY_SERVICE_NAME = 'gateway';

type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherResponse = Parameters<RemoteGraphQLDataSource['errorFromResponse']>[0];
type GatewayGraphQLResponse = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;

/** What every operation carries from the client request to the subgraph calls it makes. */
export interface GatewayContext {
  identity: Identity | null;
  correlationId: string;
}

export interface SubgraphConnectionOptions {
  name: string;
  url: string;
  timeoutMs: number;
  maxSockets: number;
  keepAliveTimeoutMs: number;
}

/** A subgraph answered with a status other than 2xx. */
class SubgraphHttpError extends GraphQLError {
  constructor(readonly status: number) {
    super(`subgraph answered HTTP ${status}`);
    this.name = 'SubgraphHttpError';
  }
}

const isTimeout = (error: unknown) => error instanceof Error && error.name === 'TimeoutError';

/** "fetch failed: connect ECONNREFUSED …": the error and its cause, without a stack trace per failed call. */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}

/**
 * The HTTP side of one subgraph: a keep-alive connection pool with a bounded number of
 * sockets (so a slow subgraph cannot make the gateway open sockets without limit), and a
 * deadline on every call that covers connecting, waiting and reading the body.
 */
export class SubgraphConnection {
  readonly name: string;
  readonly url: string;
  private readonly agent: Agent;

  constructor(private readonly options: SubgraphConnectionOptions) {
    this.name = options.name;
    this.url = options.url;
    this.agent = new Agent({
      connections: options.maxSockets,
      keepAliveTimeout: options.keepAliveTimeoutMs,
    });
  }

  readonly fetcher: Fetcher = async (url, init) => {
    const response = await fetch(url, {
      method: init?.method,
      headers: init?.headers,
      body: init?.body,
      dispatcher: this.agent,
      signal: AbortSignal.timeout(this.options.timeoutMs),
    });
    // undici's Response implements the fetch API that Apollo's Fetcher describes; only
    // its declared `clone()` and header iterator types differ in name.
    return response as unknown as FetcherResponse;
  };

  /** Whether the subgraph's readiness probe answers 2xx within the subgraph timeout. */
  async isReady(): Promise<boolean> {
    try {
      const response = await fetch(new URL('/health/ready', this.url), {
        dispatcher: this.agent,
        signal: AbortSignal.timeout(Math.min(this.options.timeoutMs, 2_000)),
      });
      await response.body?.cancel();
      return response.ok;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

export interface SubgraphDataSourceOptions {
  connection: SubgraphConnection;
  tokens: ServiceTokenCache;
  duration: Histogram<'subgraph' | 'outcome'>;
  logger: Logger;
}

/**
 * Calls one subgraph for the gateway: with the service credential (a short-lived token for
 * this subgraph carrying the verified identity) and the request's correlation id. Any failure
 * to get an answer (unreachable, timed out, non-2xx) becomes a SERVICE_UNAVAILABLE error naming
 * the subgraph; the gateway then returns the rest of the response with that error.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(private readonly options: SubgraphDataSourceOptions) {
    super({ url: options.connection.url, fetcher: options.connection.fetcher });
  }

  override async willSendRequest({
    request,
    context,
  }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    // RemoteGraphQLDataSource.process sets `request.http` before it calls willSendRequest.
    const headers = request.http!.headers;
    headers.set(SERVICE_NAME_HEADER, GATEWAY_SERVICE_NAME);
    headers.set(
      SERVICE_TOKEN_HEADER,
      await this.options.tokens.token(this.options.connection.name, context.identity ?? null),
    );
    if (context.correlationId) headers.set(CORRELATION_ID_HEADER, context.correlationId);
  }

  override async process(
    options: GraphQLDataSourceProcessOptions<GatewayContext>,
  ): Promise<GatewayGraphQLResponse> {
    const subgraph = this.options.connection.name;
    const stopTimer = this.options.duration.startTimer({ subgraph });
    try {
      const response = await super.process(options);
      stopTimer({ outcome: response.errors?.length ? 'graphql_errors' : 'ok' });
      return response;
    } catch (error) {
      const outcome: SubgraphOutcome = isTimeout(error)
        ? 'timeout'
        : error instanceof SubgraphHttpError
          ? 'http_error'
          : 'unreachable';
      stopTimer({ outcome });
      this.logFailure(subgraph, outcome, error, options.context.correlationId);
      throw serviceUnavailableError(subgraph, { serviceName: subgraph });
    }
  }

  override async errorFromResponse(response: FetcherResponse): Promise<GraphQLError> {
    await response.text().catch(() => undefined);
    return new SubgraphHttpError(response.status);
  }

  private logFailure(
    subgraph: string,
    outcome: SubgraphOutcome,
    error: unknown,
    correlationId: string,
  ): void {
    const status = error instanceof SubgraphHttpError ? error.status : undefined;
    if (status === 401 || status === 403) {
      this.options.logger.error(
        { subgraph, status, correlationId },
        `${subgraph} rejected the gateway's service credential: SERVICE_TOKEN_SECRET must be the same in the gateway and the subgraph`,
      );
      return;
    }
    this.options.logger.warn(
      { subgraph, outcome, status, reason: describeFailure(error), correlationId },
      `call to the ${subgraph} subgraph failed`,
    );
  }
}
