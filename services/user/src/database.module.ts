import { DynamicModule, Global, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  DataSourceOptions,
  HealthRegistry,
  LOGGER,
  Logger,
  METRICS_REGISTRY,
  databaseReadiness,
} from '@servicedesk/platform';
import { UserConfig } from './config';
import { createUserDataSource } from './data-source';

/**
 * The service's DataSource, initialized before anything uses it and destroyed last, after
 * the consumers and the relay have stopped. It does not migrate: `migrate.ts` does, before
 * the service starts.
 */
@Global()
@Module({})
export class DatabaseModule implements OnModuleInit, OnApplicationShutdown {
  static forRoot(config: UserConfig): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        {
          provide: DataSource,
          inject: [LOGGER, METRICS_REGISTRY],
          useFactory: async (
            logger: Logger,
            registry: DataSourceOptions['registry'],
          ): Promise<DataSource> => {
            const dataSource = createUserDataSource(config, { logger, registry });
            await dataSource.initialize();
            return dataSource;
          },
        },
      ],
      exports: [DataSource],
    };
  }

  constructor(
    private readonly dataSource: DataSource,
    private readonly health: HealthRegistry,
  ) {}

  onModuleInit(): void {
    this.health.register(databaseReadiness(this.dataSource));
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
