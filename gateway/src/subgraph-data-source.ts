import { Agent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import {
  CORRELATION_ID_HEADER,
  DependencyBreaker,
  Identity,
  SERVICE_NAME_HEADER,
  SERVICE_TOKEN_HEADER,
} from '@servicedesk/platform/standalone';
import type { Logger } from 'pino';
import type { Counter, Histogram } from 'prom-client';
import { serviceUnavailableError } from './errors';
import type { SubgraphOutcome } from './metrics';
import type { RequestDeadline } from './request-deadline';
import type { ServiceTokenCache } from './service-token-cache';

export const GATEWAY_SERVICE_NAME = 'gateway';

type SubgraphResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;
type ProcessOptions = GraphQLDataSourceProcessOptions<GatewayContext>;
/** A call made for a client's operation, the only kind this gateway makes. */
type OperationOptions = Extract<ProcessOptions, { incomingRequestContext: unknown }>;

/** What every operation carries from the client request to the subgraph calls it makes. */
export interface GatewayContext {
  identity: Identity | null;
  correlationId: string;
  /** Every subgraph call of the request fits inside it. */
  deadline: RequestDeadline;
}

export interface SubgraphConnectionOptions {
  name: string;
  url: string;
  timeoutMs: number;
  maxSockets: number;
  keepAliveTimeoutMs: number;
}

/** A subgraph answered with a status other than 2xx. */
class SubgraphHttpError extends Error {
  constructor(readonly status: number) {
    super(`subgraph answered HTTP ${status}`);
    this.name = 'SubgraphHttpError';
  }
}

/**
 * Whether a failed call is the subgraph's failure (unreachable, timed out, 5xx, no JSON), the
 * only kind its circuit breaker counts; a 4xx is its answer to what the client sent.
 */
export const isSubgraphOutage = (error: unknown) =>
  !(error instanceof SubgraphHttpError && error.status < 500);

/**
 * A 4xx in GraphQL's shape (errors such as BAD_USER_INPUT for a value the client sent) is
 * the subgraph's answer, passed on as the client's error and never counted as an outage.
 * 401 and 403 stay failures: they refuse the gateway's own credential.
 */
function clientErrorAnswer(status: number, text: string): SubgraphResponse | undefined {
  if (status < 400 || status >= 500 || status === 401 || status === 403) return undefined;
  try {
    const answer = JSON.parse(text) as SubgraphResponse | null;
    return Array.isArray(answer?.errors) && answer.errors.length > 0 ? answer : undefined;
  } catch {
    return undefined;
  }
}

/** The call took longer than it was given. */
class SubgraphTimeoutError extends Error {
  override readonly name = 'TimeoutError';

  constructor(timeoutMs: number) {
    super(`the subgraph did not answer within ${timeoutMs} ms`);
  }
}

/** No answer at all: the connection could not be made, or broke before an answer came. */
class SubgraphConnectionError extends Error {
  constructor(cause: unknown) {
    super('subgraph unreachable', { cause });
    this.name = 'SubgraphConnectionError';
  }
}

const isTimeout = (error: unknown) => error instanceof SubgraphTimeoutError;

/**
 * Whether a read that failed this way may well succeed at once on another try: no answer at
 * all or a 5xx. Not a timeout: a subgraph that is slow would only be asked twice.
 */
const isWorthRetrying = (error: unknown) =>
  error instanceof SubgraphHttpError
    ? error.status >= 500
    : error instanceof SubgraphConnectionError;

/** The pause before the one retry of a read: a few milliseconds, spread so retries do not arrive together. */
const retryDelayMs = () => 10 + Math.random() * 40;

/** "subgraph unreachable: connect ECONNREFUSED …": the error and its cause, without a stack trace per failed call. */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}

/** What a call read: the status and the whole body. */
interface RawAnswer {
  status: number;
  text: string;
}

/**
 * The HTTP side of one subgraph: a keep-alive connection pool with a bounded number of
 * sockets (so a slow subgraph cannot make the gateway open sockets without limit), and a
 * deadline on every call that covers waiting for a socket, connecting, waiting and reading the body.
 * It is Node's own HTTP client: its parser is the one the server already uses, where a second
 * HTTP stack of its own would cost the process tens of MiB.
 */
export class SubgraphConnection {
  readonly name: string;
  readonly url: string;
  /** The longest any one call may take; a request's deadline can make it shorter. */
  readonly timeoutMs: number;
  private readonly agent: Agent;
  private readonly send: typeof httpRequest;
  private readonly target: { hostname: string; port: string; path: string };

  constructor(options: SubgraphConnectionOptions) {
    this.name = options.name;
    this.url = options.url;
    const url = new URL(options.url);
    const secure = url.protocol === 'https:';
    if (!secure && url.protocol !== 'http:') {
      throw new Error(`subgraph ${options.name}: ${options.url} is neither http:// nor https://`);
    }
    this.target = {
      // `[::1]` in a URL, `::1` to connect to.
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port || (secure ? '443' : '80'),
      path: `${url.pathname}${url.search}`,
    };
    this.timeoutMs = options.timeoutMs;
    this.send = secure ? httpsRequest : httpRequest;
    this.agent = new (secure ? HttpsAgent : Agent)({
      keepAlive: true,
      maxSockets: options.maxSockets,
      // How long a socket may sit idle in the pool before it is closed.
      timeout: options.keepAliveTimeoutMs,
      scheduling: 'lifo',
    });
  }

  /**
   * POSTs one GraphQL request and reads its JSON answer, all within `timeoutMs`, with one
   * timer and no AbortSignal per call.
   */
  async post(
    body: string,
    headers: Record<string, string>,
    timeoutMs: number,
  ): Promise<SubgraphResponse> {
    const { status, text } = await this.exchange(
      'POST',
      this.target.path,
      { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      body,
      timeoutMs,
    );
    if (status < 200 || status >= 300) {
      const refusal = clientErrorAnswer(status, text);
      if (refusal) return refusal;
      throw new SubgraphHttpError(status);
    }
    const answer: unknown = JSON.parse(text);
    if (typeof answer !== 'object' || answer === null) {
      throw new Error('the subgraph answered something other than a JSON object');
    }
    return answer as SubgraphResponse;
  }

  /**
   * Whether the subgraph's public port answers HTTP within the subgraph timeout. Its own
   * readiness is on its management port, which the gateway is not meant to reach, so every
   * answer short of a server error (the 404 of an unknown path) counts as reachable.
   */
  async isReady(): Promise<boolean> {
    try {
      const { status } = await this.exchange(
        'GET',
        '/health/ready',
        {},
        undefined,
        Math.min(this.timeoutMs, 2_000),
      );
      return status < 500;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    this.agent.destroy();
    return Promise.resolve();
  }

  /**
   * One request and its whole answer. Fails with SubgraphConnectionError when no answer came
   * (refused, reset before the status line), with SubgraphTimeoutError when the time ran out
   * at any point, and with the raw error when an answer broke off.
   */
  private exchange(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
    timeoutMs: number,
  ): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      let answered = false;
      let expired = false;
      const fail = (error: unknown) => {
        clearTimeout(timer);
        reject(
          expired
            ? new SubgraphTimeoutError(timeoutMs)
            : answered
              ? error
              : new SubgraphConnectionError(error),
        );
      };
      const request = this.send(
        { ...this.target, method, path, headers, agent: this.agent },
        (response) => {
          answered = true;
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          // Read to the end in every case, so that the keep-alive socket can serve the next call.
          response.on('end', () => {
            clearTimeout(timer);
            resolve({
              status: response.statusCode ?? 0,
              text: Buffer.concat(chunks).toString('utf8'),
            });
          });
          response.on('error', fail);
        },
      );
      // Rejects at once, even while the request still waits for a free socket of the pool.
      const timer = setTimeout(() => {
        expired = true;
        request.destroy();
        fail(undefined);
      }, timeoutMs);
      request.on('error', fail);
      request.end(body);
    });
  }
}

export interface SubgraphDataSourceOptions {
  connection: SubgraphConnection;
  tokens: ServiceTokenCache;
  /** The subgraph's circuit breaker, counting only failures `isSubgraphOutage` calls its own. */
  breaker: DependencyBreaker;
  duration: Histogram<'subgraph' | 'outcome'>;
  retries: Counter<'subgraph'>;
  logger: Logger;
}

/**
 * Calls one subgraph for the gateway: with the service credential (a short-lived token for
 * this subgraph carrying the verified identity) and the request's correlation id, within
 * what is left of the request's deadline. Any failure to get an answer (unreachable, timed
 * out, non-2xx, no time left, its circuit breaker open) becomes a SERVICE_UNAVAILABLE error
 * naming the subgraph; the gateway then returns the rest of the response with that error.
 * A query's call that failed on a connection error or a 5xx is tried once more, a few
 * milliseconds later, within the same deadline; a mutation's never is.
 */
export class SubgraphDataSource implements GraphQLDataSource<GatewayContext> {
  constructor(private readonly options: SubgraphDataSourceOptions) {}

  async process(options: ProcessOptions): Promise<SubgraphResponse> {
    // The supergraph is static: the gateway never health-checks or loads schemas through here.
    if (!('incomingRequestContext' in options)) {
      throw new Error(`unexpected ${options.kind} request to a subgraph`);
    }
    const { connection } = this.options;
    const { deadline } = options.context;
    const pending = deadline.begin(connection.name);
    try {
      const headers = await this.headers(options.context);
      const body = JSON.stringify({
        query: options.request.query,
        variables: options.request.variables,
        operationName: options.request.operationName,
      });
      return await this.callWithRetry(options, body, headers);
    } finally {
      pending();
    }
  }

  private async callWithRetry(
    options: OperationOptions,
    body: string,
    headers: Record<string, string>,
  ): Promise<SubgraphResponse> {
    const subgraph = this.options.connection.name;
    const unavailable = () => serviceUnavailableError(subgraph, { serviceName: subgraph });
    try {
      return await this.call(options, body, headers);
    } catch (error) {
      const read = options.incomingRequestContext.operation?.operation === 'query';
      if (!read || !isWorthRetrying(error)) throw unavailable();
    }
    await sleep(retryDelayMs());
    this.options.retries.inc({ subgraph });
    return this.call(options, body, headers).catch(() => {
      throw unavailable();
    });
  }

  /**
   * One call within what is left of the deadline, through the subgraph's breaker; rejects
   * with the raw failure, logged and measured (an open breaker's answer is neither).
   */
  private async call(
    options: OperationOptions,
    body: string,
    headers: Record<string, string>,
  ): Promise<SubgraphResponse> {
    const { connection, duration, breaker } = this.options;
    const subgraph = connection.name;
    const timeoutMs = options.context.deadline.budgetFor(connection.timeoutMs);
    if (timeoutMs <= 0) {
      this.reportDeadline(options);
      throw new Error('no time left for the call');
    }
    return breaker.call(async () => {
      const stopTimer = duration.startTimer({ subgraph });
      try {
        const response = await connection.post(body, headers, timeoutMs);
        stopTimer({ outcome: response.errors?.length ? 'graphql_errors' : 'ok' });
        return response;
      } catch (error) {
        const outcome: SubgraphOutcome = isTimeout(error)
          ? 'timeout'
          : error instanceof SubgraphHttpError
            ? 'http_error'
            : 'unreachable';
        stopTimer({ outcome });
        if (outcome === 'timeout' && timeoutMs < connection.timeoutMs) this.reportDeadline(options);
        else this.logFailure(subgraph, outcome, error, options.context.correlationId);
        throw error;
      }
    });
  }

  private async headers(context: GatewayContext): Promise<Record<string, string>> {
    const token = await this.options.tokens.token(this.options.connection.name, context.identity);
    return {
      'content-type': 'application/json',
      [SERVICE_NAME_HEADER]: GATEWAY_SERVICE_NAME,
      [SERVICE_TOKEN_HEADER]: token,
      ...(context.correlationId ? { [CORRELATION_ID_HEADER]: context.correlationId } : {}),
    };
  }

  /**
   * The request's deadline, not the subgraph's own timeout, ended this call (or left no time
   * to make it): one line per request, naming every call that was still pending.
   */
  private reportDeadline(options: OperationOptions): void {
    const { deadline, correlationId } = options.context;
    if (!deadline.firstCut()) return;
    this.options.logger.warn(
      {
        subgraph: this.options.connection.name,
        operationName: options.incomingRequestContext.operationName ?? undefined,
        correlationId,
        elapsedMs: deadline.elapsedMs(),
        pending: deadline.pendingCalls(),
      },
      'request deadline reached: answering without the subgraph calls still pending',
    );
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
