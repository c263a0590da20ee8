import {
  baseConfigShape,
  circuitBreakerShape,
  loadConfig,
  portVariable,
} from '@servicedesk/platform/standalone';
import { z } from 'zod';
import { rateLimitShape } from './rate-limit-config';
import { queryLimitShape } from './query-limits-config';
import { securityHeadersShape } from './security-headers';
import { SUBGRAPHS, SubgraphDefinition } from './subgraphs';

const httpUrl = () => z.url({ protocol: /^https?$/ });
const milliseconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const gatewayShape = {
  NODE_ENV: baseConfigShape.NODE_ENV,
  LOG_LEVEL: baseConfigShape.LOG_LEVEL,
  SERVICE_TOKEN_SECRET: baseConfigShape.SERVICE_TOKEN_SECRET,
  OTEL_EXPORTER_OTLP_ENDPOINT: baseConfigShape.OTEL_EXPORTER_OTLP_ENDPOINT,
  SHUTDOWN_TIMEOUT_MS: baseConfigShape.SHUTDOWN_TIMEOUT_MS,
  MAX_BODY_BYTES: baseConfigShape.MAX_BODY_BYTES,
  GATEWAY_PORT: portVariable(8080),
  /** `/metrics` and `/health/*`, apart from the public port. */
  GATEWAY_MANAGEMENT_PORT: portVariable(9080),
  /** The user service's key set; a key it rotates in is fetched when a token names its `kid`. */
  JWKS_URL: httpUrl().default('http://127.0.0.1:3001/.well-known/jwks.json'),
  ACCESS_TOKEN_ISSUER: z.string().min(1).default('servicedesk-user'),
  ACCESS_TOKEN_AUDIENCE: z.string().min(1).default('servicedesk'),
  JWKS_TIMEOUT_MS: milliseconds(3_000),
  /** Minimum time between two key-set fetches triggered by tokens naming an unknown `kid`. */
  JWKS_COOLDOWN_MS: z.coerce.number().int().nonnegative().default(30_000),
  JWKS_CACHE_MAX_AGE_MS: milliseconds(600_000),
  /** Bound on one whole subgraph call (connect, request, response body). */
  SUBGRAPH_TIMEOUT_MS: milliseconds(10_000),
  /** Bound on a whole client request, from arrival to answer; unset, a little above SUBGRAPH_TIMEOUT_MS. */
  REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().optional(),
  MAX_SOCKETS_PER_SUBGRAPH: z.coerce.number().int().positive().default(64),
  /** Below the subgraphs' idle timeout (Node's default is 5 s), so a socket the server is closing is never reused. */
  SUBGRAPH_KEEP_ALIVE_TIMEOUT_MS: milliseconds(4_000),
  ...queryLimitShape,
  ...rateLimitShape,
  ...circuitBreakerShape,
  ...securityHeadersShape,
};

const gatewaySchema = z.object(gatewayShape);

export interface SubgraphEndpoint {
  name: string;
  url: string;
}

/** Time left, past one subgraph call's timeout, for authentication, planning and sending the answer. */
const REQUEST_TIMEOUT_HEADROOM_MS = 2_000;

export type GatewayConfig = Omit<z.infer<typeof gatewaySchema>, 'REQUEST_TIMEOUT_MS'> & {
  REQUEST_TIMEOUT_MS: number;
  /** Every subgraph with the URL it is called at: its `<NAME>_SUBGRAPH_URL`, else the local default. */
  subgraphs: SubgraphEndpoint[];
};

function subgraphUrlSchema(subgraphs: readonly SubgraphDefinition[]) {
  return z.object(
    Object.fromEntries(
      subgraphs.map((subgraph) => [subgraph.urlVariable, httpUrl().default(subgraph.defaultUrl)]),
    ),
  );
}

/**
 * Parses and validates the gateway's environment once, at start-up: a bad value fails with
 * a ConfigError naming the variable; in production the service-token secret must be set.
 */
export function loadGatewayConfig(
  env: NodeJS.ProcessEnv = process.env,
  subgraphs: readonly SubgraphDefinition[] = SUBGRAPHS,
): GatewayConfig {
  const config = loadConfig(gatewaySchema, env);
  const urls: Record<string, string> = loadConfig(subgraphUrlSchema(subgraphs), env);
  return {
    ...config,
    REQUEST_TIMEOUT_MS:
      config.REQUEST_TIMEOUT_MS ?? config.SUBGRAPH_TIMEOUT_MS + REQUEST_TIMEOUT_HEADROOM_MS,
    subgraphs: subgraphs.map((subgraph) => ({
      name: subgraph.name,
      url: urls[subgraph.urlVariable],
    })),
  };
}
