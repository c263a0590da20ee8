import type { HealthRegistry, ReadinessAnswer } from '@servicedesk/platform/standalone';
import type { SubgraphConnection } from './subgraph-data-source';

export interface ReadinessOptions {
  health: HealthRegistry;
  subgraphs: () => Iterable<SubgraphConnection>;
  /** Whether the rate limits' Redis answers; without it limits are counted per process. */
  rateLimitStore: () => 'up' | 'down';
}

/**
 * What the gateway's `/health/ready` (on its management port) answers. Ready means able to
 * serve the supergraph: a subgraph being down does not make the gateway unready (the rest of
 * the graph still answers), so each subgraph's reachability is reported in the body for
 * operators only.
 */
export function gatewayReadiness({
  health,
  subgraphs,
  rateLimitStore,
}: ReadinessOptions): () => Promise<ReadinessAnswer> {
  return async () => {
    const [report, reachability] = await Promise.all([
      health.readiness(),
      Promise.all(
        [...subgraphs()].map(async (subgraph) => [
          subgraph.name,
          (await subgraph.isReady()) ? 'up' : 'down',
        ]),
      ),
    ]);
    return {
      ready: report.status === 'ready',
      body: {
        ...report,
        subgraphs: Object.fromEntries(reachability),
        rateLimits: { redis: rateLimitStore() },
      },
    };
  };
}
