// The gateway's circuit breakers, one per subgraph and one for the access-token key set, and
// the count of subgraph reads tried a second time.
import {
  CircuitBreakerConfig,
  CircuitBreakers,
  DependencyBreaker,
  Logger,
} from '@servicedesk/platform/standalone';
import { Counter, Registry } from 'prom-client';
import { isSubgraphOutage } from './subgraph-data-source';

/** The key set's breaker, as named in metrics and logs. */
export const KEY_SET_DEPENDENCY = 'jwks';

export class GatewayBreakers {
  readonly retries: Counter<'subgraph'>;
  private readonly breakers: CircuitBreakers;

  constructor(config: CircuitBreakerConfig, registry: Registry, logger: Logger) {
    this.breakers = new CircuitBreakers(config, registry, logger);
    this.retries = new Counter({
      name: 'subgraph_retries_total',
      help: 'Calls of a query to a subgraph tried a second time after a connection error or a 5xx',
      labelNames: ['subgraph'] as const,
      registers: [registry],
    });
  }

  /** Named after the subgraph; a client's bad input it refuses is never counted against it. */
  subgraph(name: string): DependencyBreaker {
    return this.breakers.for(name, { isFailure: isSubgraphOutage });
  }

  keySet(): DependencyBreaker {
    return this.breakers.for(KEY_SET_DEPENDENCY);
  }

  shutdown(): void {
    this.breakers.shutdown();
  }
}
