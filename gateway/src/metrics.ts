import { createMetricsRegistry, httpMetrics } from '@servicedesk/platform/standalone';
import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** How a call to a subgraph ended: answered (with or without GraphQL errors) or not at all. */
export type SubgraphOutcome = 'ok' | 'graphql_errors' | 'http_error' | 'timeout' | 'unreachable';

export interface GatewayMetrics {
  registry: Registry;
  subgraphRequestDuration: Histogram<'subgraph' | 'outcome'>;
  /** 1 while the rate limiter's Redis answers; at 0 limits are counted per process. */
  rateLimiterRedisUp: Gauge;
  rateLimited: Counter<'limit'>;
  /** Times every HTTP request with the same metric names as the subgraphs use. */
  httpMiddleware: RequestHandler;
}

export function createGatewayMetrics(knownRoutes: readonly string[]): GatewayMetrics {
  const registry = createMetricsRegistry('gateway');
  const http = httpMetrics(registry);
  const routes = new Set(knownRoutes);
  const subgraphRequestDuration = new Histogram({
    name: 'subgraph_request_duration_seconds',
    help: 'Duration of calls from the gateway to a subgraph, by outcome',
    labelNames: ['subgraph', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const rateLimiterRedisUp = new Gauge({
    name: 'gateway_rate_limiter_redis_up',
    help: 'Whether the Redis holding the rate-limit counters is reachable (1) or not (0)',
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'gateway_rate_limited_total',
    help: 'Requests refused with 429, by the limit they exceeded',
    labelNames: ['limit'] as const,
    registers: [registry],
  });

  const httpMiddleware: RequestHandler = (request, response, next) => {
    const startedAt = process.hrtime.bigint();
    // Read before routers rewrite `request.path` for mounted handlers; unknown paths share one label.
    const route = routes.has(request.path) ? request.path : 'unmatched';
    response.once('finish', () => {
      const labels = { method: request.method, route, status_code: String(response.statusCode) };
      http.duration.observe(labels, Number(process.hrtime.bigint() - startedAt) / 1e9);
      http.requests.inc(labels);
    });
    next();
  };

  return { registry, subgraphRequestDuration, rateLimiterRedisUp, rateLimited, httpMiddleware };
}
