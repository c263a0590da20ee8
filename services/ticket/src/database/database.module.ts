import {
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Module,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  DataSourceOptions,
  HealthRegistry,
  LOGGER,
  Logger,
  METRICS_REGISTRY,
  databaseReadiness,
} from '@servicedesk/platform';
import type { TicketConfig } from '../config';
import { createTicketDataSource } from '../data-source';

/** Reports the database in /health/ready and closes the pool last, after everything that uses it. */
@Injectable()
class DataSourceLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly health: HealthRegistry,
  ) {}

  onModuleInit(): void {
    this.health.register(databaseReadiness(this.dataSource));
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/** The service's DataSource (not migrated here: migrations run before the app starts). */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(config: TicketConfig): DynamicModule {
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
            const dataSource = createTicketDataSource(config, { logger, registry });
            await dataSource.initialize();
            return dataSource;
          },
        },
        DataSourceLifecycle,
      ],
      exports: [DataSource],
    };
  }
}
