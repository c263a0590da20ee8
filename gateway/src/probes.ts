import type { HealthRegistry } from '@servicedesk/platform/standalone';
import { Router } from 'express';
import type { Registry } from 'prom-client';
import type { SubgraphConnection } from './subgraph-data-source';

export interface ProbeOptions {
  health: HealthRegistry;
  subgraphs: () => Iterable<SubgraphConnection>;
  registry: Registry;
  /** Whether the rate limits' Redis answers; without it limits are counted per process. */
  rateLimitStore: () => 'up' | 'down';
}

/**
 * `/health/live`, `/health/ready` and `/metrics`. Ready means able to serve the supergraph:
 * a subgraph being down does not make the gateway unready (the rest of the graph still
 * answers), so each subgraph's reachability is reported in the body for operators only.
 */
export function probeRoutes({ health, subgraphs, registry, rateLimitStore }: ProbeOptions): Router {
  const router = Router();
  router.get('/health/live', (_request, response) => {
    response.json({ status: 'ok' });
  });
  router.get('/health/ready', async (_request, response) => {
    const [report, reachability] = await Promise.all([
      health.readiness(),
      Promise.all(
        [...subgraphs()].map(async (subgraph) => [
          subgraph.name,
          (await subgraph.isReady()) ? 'up' : 'down',
        ]),
      ),
    ]);
    response.status(report.status === 'ready' ? 200 : 503).json({
      ...report,
      subgraphs: Object.fromEntries(reachability),
      rateLimits: { redis: rateLimitStore() },
    });
  });
  router.get('/metrics', async (_request, response) => {
    response.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}
