import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every app has its own registry: several apps share one process in tests, and prom-client's
 * global registry would mix their numbers (and reject the second registration of a name).
 */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Returns the metric already registered under `name`, or registers the one `create` builds. */
export function singleMetric<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

export interface HttpMetrics {
  duration: Histogram<'method' | 'route' | 'status_code'>;
  requests: Counter<'method' | 'route' | 'status_code'>;
}

export function httpMetrics(registry: Registry): HttpMetrics {
  const labelNames = ['method', 'route', 'status_code'] as const;
  return {
    duration: singleMetric(
      registry,
      'http_request_duration_seconds',
      () =>
        new Histogram({
          name: 'http_request_duration_seconds',
          help: 'Duration of HTTP requests in seconds',
          labelNames,
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
          registers: [registry],
        }),
    ),
    requests: singleMetric(
      registry,
      'http_requests_total',
      () =>
        new Counter({
          name: 'http_requests_total',
          help: 'HTTP requests served',
          labelNames,
          registers: [registry],
        }),
    ),
  };
}

/** Counts every SQL statement a DataSource runs (BEGIN/COMMIT included): the N+1 detector. */
export function dbQueryCounter(registry: Registry): Counter {
  return singleMetric(
    registry,
    'db_queries_total',
    () =>
      new Counter({
        name: 'db_queries_total',
        help: 'SQL statements executed, by origin: serving an HTTP request, or background work',
        labelNames: ['origin'],
        registers: [registry],
      }),
  );
}

export function dbQueryErrorCounter(registry: Registry): Counter {
  return singleMetric(
    registry,
    'db_query_errors_total',
    () =>
      new Counter({
        name: 'db_query_errors_total',
        help: 'SQL statements that failed',
        registers: [registry],
      }),
  );
}
