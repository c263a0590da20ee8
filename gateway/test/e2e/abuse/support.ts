// What the abuse specs need besides the stack: raw HTTP answers with their headers, a client
// calling from an address of its choosing, the subgraph calls a stack received, a second
// gateway in front of the stack's subgraphs, and a link to a subgraph that fails on demand.
import { IncomingMessage, Server, ServerResponse, createServer, request } from 'node:http';
import { AddressInfo } from 'node:net';
import { Logger, createLogger } from '@servicedesk/platform';
import { GraphQLResponse, metricSample } from '@servicedesk/testing';
import { RunningGateway, createGateway, loadGatewayConfig } from '@servicedesk/gateway';
import { unthrottledRateLimits } from '../../fixtures/rate-limit-keys';
import { Stack, SubgraphName } from '../stack';

export const SUBGRAPHS: SubgraphName[] = ['user', 'ticket', 'appointment', 'audit', 'notification'];

/** What a client sees of an answer: status, headers and the GraphQL body (if it is JSON). */
export interface RawAnswer extends GraphQLResponse<Record<string, unknown>> {
  headers: Headers;
  elapsedMs: number;
}

/** POSTs `body` (an object is sent as JSON, a string as it is) with exactly `headers`. */
export async function post(
  url: string,
  body: object | string,
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  const startedAt = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  const elapsedMs = performance.now() - startedAt;
  let parsed: Pick<GraphQLResponse, 'data' | 'errors'> = {};
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    parsed = { errors: [{ message: text }] };
  }
  return { status: response.status, headers: response.headers, elapsedMs, ...parsed };
}

/**
 * The stack's gateway as seen from `address`: every request carries it in X-Forwarded-For,
 * which a gateway started with `TRUST_PROXY=loopback` believes. Shaped like `Stack['api']`,
 * so the actors can register and log in through it.
 */
export function clientAt(gatewayUrl: string, address: string): Stack['api'] {
  return {
    async query<T = Record<string, unknown>>(
      query: string,
      variables?: Record<string, unknown>,
      accessToken?: string,
    ): Promise<GraphQLResponse<T>> {
      const headers: Record<string, string> = { 'x-forwarded-for': address };
      if (accessToken) headers.authorization = `Bearer ${accessToken}`;
      return (await post(gatewayUrl, { query, variables }, headers)) as GraphQLResponse<T>;
    },
  };
}

let lastAddress = 0;

/** A client address no other test of the run uses (TEST-NET-2, 198.51.100.0/24, then on). */
export function freshAddress(): string {
  lastAddress += 1;
  return `198.51.${100 + Math.floor(lastAddress / 250)}.${1 + (lastAddress % 250)}`;
}

/** The sum of every sample of `name` whose labels include `labels`. */
export function sumSamples(
  exposition: string,
  name: string,
  labels: Record<string, string> = {},
): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  let total = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (wanted.every((label) => line.includes(label)))
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

export async function metricsOf(managementUrl: string): Promise<string> {
  const response = await fetch(`${managementUrl}/metrics`);
  if (response.status !== 200)
    throw new Error(`GET ${managementUrl}/metrics answered ${response.status}`);
  return response.text();
}

/** GraphQL requests every subgraph of the stack received, as their own metrics count them. */
export async function subgraphGraphQLRequests(stack: Stack): Promise<number> {
  let total = 0;
  for (const name of SUBGRAPHS) {
    const exposition = await metricsOf(stack.subgraphManagementUrl(name));
    total += sumSamples(exposition, 'http_requests_total', { route: '/graphql' });
  }
  return total;
}

/** The outcomes of a subgraph call the unavailability alert counts as an outage. */
export const OUTAGE_OUTCOMES = ['http_error', 'timeout', 'unreachable'];

/** Subgraph calls of the gateway that ended in an outage, over every subgraph. */
export async function subgraphOutages(gatewayManagementUrl: string): Promise<number> {
  const exposition = await metricsOf(gatewayManagementUrl);
  return OUTAGE_OUTCOMES.reduce(
    (total, outcome) =>
      total + sumSamples(exposition, 'subgraph_request_duration_seconds_count', { outcome }),
    0,
  );
}

export async function gatewayMetric(
  gateway: Pick<RunningGateway, 'managementUrl'>,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  return metricSample(await metricsOf(gateway.managementUrl), name, labels);
}

/**
 * A second gateway in front of the stack's subgraphs (or of `subgraphUrls` standing in for
 * some of them), configured by `env` on top of the stack's credentials and unthrottled limits.
 */
export async function startGatewayFor(
  stack: Stack,
  env: Record<string, string>,
  options: { subgraphUrls?: Partial<Record<SubgraphName, string>>; logger?: Logger } = {},
): Promise<RunningGateway> {
  const urls = { ...stack.subgraphUrls, ...options.subgraphUrls };
  return createGateway(
    loadGatewayConfig({
      ...unthrottledRateLimits('e2e-abuse'),
      NODE_ENV: 'test',
      GATEWAY_PORT: '0',
      GATEWAY_MANAGEMENT_PORT: '0',
      SERVICE_TOKEN_SECRET: stack.serviceTokenSecret,
      JWKS_URL: stack.subgraphUrls.user.replace('/graphql', '/.well-known/jwks.json'),
      ...Object.fromEntries(
        SUBGRAPHS.map((name) => [`${name.toUpperCase()}_SUBGRAPH_URL`, urls[name]]),
      ),
      ...env,
    }),
    { logger: options.logger ?? createLogger('gateway', 'silent') },
  );
}

/**
 * What the link does with a request: pass it on; `drop-answer` passes it on and, once the
 * subgraph has answered, breaks the connection instead of returning the answer (the subgraph
 * did the work, the gateway saw no answer); `refuse` breaks the connection without passing it on.
 */
export type LinkFault = 'drop-answer' | 'refuse';

/**
 * An HTTP link from the gateway to one subgraph that counts what it is asked and fails on
 * demand: the next few requests, or every request while it is `down`.
 */
export class SubgraphLink {
  /** Requests that reached the link, answered or not. */
  requests = 0;
  down = false;
  private readonly faults: LinkFault[] = [];

  private constructor(
    private readonly server: Server,
    private readonly target: URL,
  ) {
    server.on('request', (incoming: IncomingMessage, outgoing: ServerResponse) =>
      this.handle(incoming, outgoing),
    );
  }

  static async to(url: string): Promise<SubgraphLink> {
    const link = new SubgraphLink(createServer(), new URL(url));
    await new Promise<void>((resolve) => link.server.listen(0, '127.0.0.1', resolve));
    return link;
  }

  /** The subgraph's URL with the link in between. */
  get url(): string {
    const url = new URL(this.target);
    url.port = String((this.server.address() as AddressInfo).port);
    return url.toString();
  }

  failNext(fault: LinkFault, times = 1): void {
    for (let index = 0; index < times; index += 1) this.faults.push(fault);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(incoming: IncomingMessage, outgoing: ServerResponse): void {
    this.requests += 1;
    const fault = this.down ? 'refuse' : this.faults.shift();
    if (fault === 'refuse') {
      incoming.socket.destroy();
      return;
    }
    const upstream = request(this.target, { method: incoming.method, headers: incoming.headers });
    upstream.on('error', () => incoming.socket.destroy());
    upstream.on('response', (answer) => {
      if (fault === 'drop-answer') {
        answer.on('end', () => incoming.socket.destroy());
        answer.resume();
        return;
      }
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    incoming.pipe(upstream);
  }
}
