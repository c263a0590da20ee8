import {
  DynamicModule,
  Global,
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
import { AuditConfig } from './config';
import { createAuditDataSource } from './data-source';

/** Reports the database in /health/ready and closes the pool last, once everything else stopped. */
@Injectable()
class DataSourceLifecycle implements OnModuleInit, OnApplicationShutdown {
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

/** The audit schema's DataSource, for every module of the service (it does not migrate). */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(config: AuditConfig): DynamicModule {
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
            const dataSource = createAuditDataSource(config, { logger, registry });
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
