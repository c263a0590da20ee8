import { DynamicModule, Module } from '@nestjs/common';
import { Logger, Clock, TextLimits } from '@servicedesk/platform';
import { SubgraphModule } from '@servicedesk/messaging';
import { AUTH_TEXT_LIMITS } from './auth/auth.inputs';
import { AuthModule } from './auth/auth.module';
import { JWKS_PATH } from './auth/jwks.controller';
import { UserConfig } from './config';
import { CoreModule } from './core.module';
import { USER_SCHEMA, createUserDataSource } from './data-source';
import { ErasureModule } from './erasure/erasure.module';
import { USER_TEXT_LIMITS } from './users/user.inputs';
import { UsersModule } from './users/users.module';

export const SERVICE_NAME = 'user';

export interface AppModuleOptions {
  logger: Logger;
  clock: Clock;
}

/** The longest text each argument and input field of the user API takes (README, Input limits). */
export const userTextLimits: TextLimits = { ...USER_TEXT_LIMITS, ...AUTH_TEXT_LIMITS };

/** The user subgraph: accounts, credentials, tokens and erasure. It consumes no events. */
@Module({})
export class AppModule {
  static forRoot(config: UserConfig, options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        SubgraphModule.forRoot({
          service: SERVICE_NAME,
          schema: USER_SCHEMA,
          config,
          logger: options.logger,
          dataSource: (deps) => createUserDataSource(config, deps),
          schemaDir: __dirname,
          publicPaths: [JWKS_PATH],
          textLimits: userTextLimits,
        }),
        CoreModule.forRoot(config, options.clock),
        UsersModule,
        AuthModule,
        ErasureModule,
      ],
    };
  }
}
