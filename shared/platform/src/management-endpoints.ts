// Serves a subgraph's probes and metrics on its management port for as long as the app runs,
// so they never share the public port with the GraphQL API.
import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Registry } from 'prom-client';
import { HealthRegistry } from './health.registry';
import { Logger } from './logger';
import { ManagementServer, managementPortOf } from './management-server';
import type { PlatformOptions } from './platform.module';
import { LOGGER, METRICS_REGISTRY, PLATFORM_OPTIONS } from './tokens';

@Injectable()
export class ManagementEndpoints implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly server: ManagementServer;

  constructor(
    @Inject(PLATFORM_OPTIONS) private readonly options: PlatformOptions,
    health: HealthRegistry,
    @Inject(METRICS_REGISTRY) registry: Registry,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.server = new ManagementServer({
      service: options.service,
      registry,
      logger,
      readiness: async () => {
        const report = await health.readiness();
        return { ready: report.status === 'ready', body: report };
      },
    });
  }

  /** The port listened on, once the app has started. */
  get port(): number | undefined {
    return this.server.port;
  }

  /** Runs before the public port listens: a management port that is taken fails the start. */
  async onApplicationBootstrap(): Promise<void> {
    await this.server.listen(managementPortOf(this.options.service, this.options.config));
  }

  /** Last, so probes keep answering "not ready" while requests drain. */
  async onApplicationShutdown(): Promise<void> {
    await this.server.close();
  }
}
