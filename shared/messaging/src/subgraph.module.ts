import { ApolloFederationDriverConfig } from '@nestjs/apollo';
import { DynamicModule, Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import {
  BaseConfig,
  DataSourceFactory,
  DatabaseModule,
  Logger,
  PlatformModule,
  TextLimits,
  loadSchemaFile,
  subgraphGraphQLOptions,
} from '@servicedesk/platform';
import { MessagingModule } from './messaging.module';
import { PartialConsumerOptions, configuredConsumerOptions } from './options';
import {
  createOperationsResolver,
  operationsTextLimits,
  operationsTypeDefs,
} from './operations.graphql';
import { SubscriptionDeclaration } from './subscription';

export interface SubgraphOptions {
  /** The service's name: audience of its service credentials, `source` of its events. */
  service: string;
  /** The PostgreSQL schema it owns. */
  schema: string;
  config: BaseConfig;
  logger?: Logger;
  /** Builds the service's DataSource (its entities and migrations). */
  dataSource: DataSourceFactory;
  /** The folder of the caller's module, directly in `src/` (or `dist/`): finds `src/schema.graphql`. */
  schemaDir: string;
  /** Everything the service reacts to, from its `*.subscriptions.ts`. */
  subscriptions?: SubscriptionDeclaration[];
  /** Routes open without a service credential besides probes and metrics. */
  publicPaths?: string[];
  /** The longest value of each `String` argument and input field of the service's SDL. */
  textLimits?: TextLimits;
  /** Consumer tuning that overrides the configuration, e.g. a lower prefetch for handlers that serialise anyway. */
  consumer?: PartialConsumerOptions;
}

/**
 * What every subgraph stands on, wired the same way everywhere: platform (logs, metrics,
 * health, credential check), its database, the event backbone, and the federated GraphQL
 * server with the service's SDL plus its ADMIN operations. A service's AppModule imports
 * this and its feature modules, nothing else.
 */
@Module({})
export class SubgraphModule {
  static forRoot(options: SubgraphOptions): DynamicModule {
    const { service, config, logger } = options;
    const configured = configuredConsumerOptions(config);
    return {
      module: SubgraphModule,
      imports: [
        PlatformModule.forRoot({ service, config, logger, publicPaths: options.publicPaths }),
        DatabaseModule.forRoot(options.dataSource),
        MessagingModule.forService({
          service,
          schema: options.schema,
          rabbitmqUrl: config.RABBITMQ_URL,
          subscriptions: options.subscriptions,
          relay: {
            pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
            maxAttempts: config.OUTBOX_MAX_ATTEMPTS,
          },
          consumer: {
            ...configured,
            ...options.consumer,
            retry: { ...configured.retry, ...options.consumer?.retry },
          },
        }),
        GraphQLModule.forRoot<ApolloFederationDriverConfig>(
          subgraphGraphQLOptions({
            typeDefs: [loadSchemaFile(options.schemaDir), operationsTypeDefs(service)],
            production: config.NODE_ENV === 'production',
            logger,
            textLimits: { ...options.textLimits, ...operationsTextLimits(service) },
          }),
        ),
      ],
      providers: [createOperationsResolver(service)],
    };
  }
}
