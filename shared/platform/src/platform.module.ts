import {
  DynamicModule,
  MiddlewareConsumer,
  Module,
  NestModule,
  RequestMethod,
} from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Registry } from 'prom-client';
import { BaseConfig } from './config';
import { setUnexpectedErrorLogger } from './graphql-errors';
import { GraphQLExceptionFilter } from './graphql-exception.filter';
import { HealthRegistry, ReadinessCheck } from './health.registry';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { Logger, createLogger } from './logger';
import { ManagementEndpoints } from './management-endpoints';
import { createMetricsRegistry } from './metrics';
import { RequestContextMiddleware } from './request-context.middleware';
import { LOGGER, METRICS_REGISTRY, PLATFORM_OPTIONS } from './tokens';

export interface PlatformOptions {
  /** The subgraph's name: the audience its service credentials must carry, the `service` log/metric label. */
  service: string;
  config: BaseConfig;
  readinessChecks?: ReadinessCheck[];
  /**
   * Routes of this service anyone may call without a service credential, besides probes and
   * metrics (e.g. the user service's JWKS, which the gateway fetches to verify tokens).
   */
  publicPaths?: string[];
  /** Defaults to a new logger for `service` at `config.LOG_LEVEL`. */
  logger?: Logger;
}

/**
 * What every service gets from the platform: logger, metrics registry, health and metrics
 * endpoints on the management port (`<SERVICE>_MANAGEMENT_PORT`), and the request middleware
 * (service credential + request context). Global, so feature modules inject LOGGER,
 * METRICS_REGISTRY and HealthRegistry without importing it.
 */
@Module({})
export class PlatformModule implements NestModule {
  static forRoot(options: PlatformOptions): DynamicModule {
    const logger = options.logger ?? createLogger(options.service, options.config.LOG_LEVEL);
    setUnexpectedErrorLogger(logger);
    return {
      module: PlatformModule,
      global: true,
      providers: [
        { provide: PLATFORM_OPTIONS, useValue: options },
        { provide: LOGGER, useValue: logger },
        {
          provide: METRICS_REGISTRY,
          useFactory: (): Registry => createMetricsRegistry(options.service),
        },
        {
          provide: HealthRegistry,
          useFactory: () => new HealthRegistry(options.readinessChecks ?? []),
        },
        { provide: APP_FILTER, useClass: GraphQLExceptionFilter },
        ManagementEndpoints,
      ],
      exports: [PLATFORM_OPTIONS, LOGGER, METRICS_REGISTRY, HealthRegistry, ManagementEndpoints],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(HttpMetricsMiddleware, RequestContextMiddleware)
      .forRoutes({ path: '*path', method: RequestMethod.ALL });
  }
}
