import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Registry } from 'prom-client';
import { HttpMetrics, httpMetrics } from './metrics';
import { GRAPHQL_PATH, PUBLIC_PATHS } from './paths';
import { METRICS_REGISTRY } from './tokens';

export { GRAPHQL_PATH } from './paths';

/** Route label values are bounded: unknown paths (scanners, typos) share one label. */
const KNOWN_ROUTES = new Set<string>([GRAPHQL_PATH, ...PUBLIC_PATHS]);

function routeOf(request: Request, path: string): string {
  if (KNOWN_ROUTES.has(path)) return path;
  // A service's own controllers (e.g. a JWKS endpoint) are labelled by their route pattern;
  // the wildcard route this middleware is mounted on says nothing and is ignored.
  const matched = (request.route as { path?: unknown } | undefined)?.path;
  return typeof matched === 'string' && !matched.includes('*') ? matched : 'unmatched';
}

/**
 * Times every request, rejected ones included. It logs nothing: each GraphQL operation has its
 * access line (access-log.ts), and probes and scrapes are not worth a line.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  private readonly metrics: HttpMetrics;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    this.metrics = httpMetrics(registry);
  }

  use(request: Request, response: Response, next: NextFunction): void {
    const startedAt = process.hrtime.bigint();
    // The path is read before routers rewrite `request.path` for mounted handlers.
    const path = request.path;
    response.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
      const labels = {
        method: request.method,
        route: routeOf(request, path),
        status_code: String(response.statusCode),
      };
      this.metrics.duration.observe(labels, seconds);
      this.metrics.requests.inc(labels);
    });
    next();
  }
}
