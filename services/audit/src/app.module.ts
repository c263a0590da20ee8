import { ApolloFederationDriverConfig } from '@nestjs/apollo';
import { DynamicModule, Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import {
  DatabaseModule,
  Logger,
  PlatformModule,
  loadSchemaFile,
  subgraphGraphQLOptions,
} from '@servicedesk/platform';
import {
  MessagingModule,
  createOperationsResolver,
  operationsTypeDefs,
} from '@servicedesk/messaging';
import { AuditLogModule } from './audit-log/audit-log.module';
import { auditSubscriptions } from './audit.subscriptions';
import { AuditConfig } from './config';
import { AUDIT_SCHEMA, createAuditDataSource } from './data-source';

const SERVICE = 'audit';

@Module({})
export class AppModule {
  static forRoot(config: AuditConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({ service: SERVICE, config, logger }),
        DatabaseModule.forRoot((deps) => createAuditDataSource(config, deps)),
        MessagingModule.forService({
          service: SERVICE,
          schema: AUDIT_SCHEMA,
          rabbitmqUrl: config.RABBITMQ_URL,
          subscriptions: auditSubscriptions,
        }),
        GraphQLModule.forRoot<ApolloFederationDriverConfig>(
          subgraphGraphQLOptions({
            typeDefs: [loadSchemaFile(__dirname), operationsTypeDefs(SERVICE)],
            production: config.NODE_ENV === 'production',
            logger,
          }),
        ),
        AuditLogModule,
      ],
      providers: [createOperationsResolver(SERVICE)],
    };
  }
}
