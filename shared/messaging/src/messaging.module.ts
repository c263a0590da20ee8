import { DynamicModule, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MessagingOperations } from './messaging-operations';
import { MESSAGING_OPTIONS, MessagingModuleOptions } from './messaging.options';
import { MessagingRuntime } from './messaging.runtime';
import { UnitOfWork } from './unit-of-work';

/**
 * A service's event backbone: `UnitOfWork` for writing state and events together, the relay
 * that publishes the outbox, and the consumers of the subscriptions declared here. Global,
 * so feature modules inject `UnitOfWork` without importing it; it needs the service's
 * DataSource provider (`options.dataSource`, default the `DataSource` class) and, from
 * PlatformModule, LOGGER, METRICS_REGISTRY and HealthRegistry.
 */
@Module({})
export class MessagingModule {
  static forService(options: MessagingModuleOptions): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      providers: [
        { provide: MESSAGING_OPTIONS, useValue: options },
        {
          provide: UnitOfWork,
          useFactory: (dataSource: DataSource) =>
            new UnitOfWork(dataSource, { source: options.service, schema: options.schema }),
          inject: [options.dataSource ?? DataSource],
        },
        MessagingRuntime,
        MessagingOperations,
      ],
      exports: [UnitOfWork, MessagingRuntime, MessagingOperations],
    };
  }
}
