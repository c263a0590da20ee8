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
import { AuthModule } from './auth/auth.module';
import { JWKS_PATH } from './auth/jwks.controller';
import { Clock } from './clock';
import { UserConfig } from './config';
import { CoreModule } from './core.module';
import { USER_SCHEMA, createUserDataSource } from './data-source';
import { UsersModule } from './users/users.module';

export const SERVICE_NAME = 'user';

export interface AppModuleOptions {
  logger: Logger;
  clock: Clock;
}

/** The user subgraph: accounts, credentials and tokens. It consumes no events. */
@Module({})
export class AppModule {
  static forRoot(config: UserConfig, options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({
          service: SERVICE_NAME,
          config,
          logger: options.logger,
          publicPaths: [JWKS_PATH],
        }),
        CoreModule.forRoot(config, options.clock),
        DatabaseModule.forRoot((deps) => createUserDataSource(config, deps)),
        MessagingModule.forService({
          service: SERVICE_NAME,
          schema: USER_SCHEMA,
          rabbitmqUrl: config.RABBITMQ_URL,
        }),
        GraphQLModule.forRoot<ApolloFederationDriverConfig>(
          subgraphGraphQLOptions({
            typeDefs: [loadSchemaFile(__dirname), operationsTypeDefs(SERVICE_NAME)],
            production: config.NODE_ENV === 'production',
            logger: options.logger,
          }),
        ),
        UsersModule,
        AuthModule,
      ],
      providers: [createOperationsResolver(SERVICE_NAME)],
    };
  }
}
