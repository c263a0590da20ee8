import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { databaseReadiness } from './database';
import { HealthRegistry } from './health.registry';
import { Logger } from './logger';
import { LOGGER, METRICS_REGISTRY } from './tokens';

/** Builds the service's DataSource (not yet initialized) from the app's logger and registry. */
export type DataSourceFactory = (deps: { logger: Logger; registry: Registry }) => DataSource;

/**
 * Closes the pool in onApplicationShutdown, the last hook: consumers and the relay stop
 * earlier (onModuleDestroy / beforeApplicationShutdown) and may still need the database.
 */
@Injectable()
class DataSourceLifecycle implements OnApplicationShutdown {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
    health: HealthRegistry,
  ) {
    health.register(databaseReadiness(dataSource));
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.dataSource.isInitialized) return;
    await this.dataSource.destroy();
    this.logger.info('shutdown: database pool closed');
  }
}

/**
 * Provides the service's initialized `DataSource` to every module, adds the `database`
 * readiness check and closes the pool last on shutdown. Requires PlatformModule. Does not
 * migrate: migrations run before the app starts (`migrate()`).
 */
@Module({})
export class DatabaseModule {
  static forRoot(create: DataSourceFactory): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      providers: [
        {
          provide: DataSource,
          inject: [LOGGER, METRICS_REGISTRY],
          useFactory: async (logger: Logger, registry: Registry): Promise<DataSource> => {
            const dataSource = create({ logger, registry });
            return dataSource.isInitialized ? dataSource : dataSource.initialize();
          },
        },
        DataSourceLifecycle,
      ],
      exports: [DataSource],
    };
  }
}
