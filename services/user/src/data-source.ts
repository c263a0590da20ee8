import { DataSource } from 'typeorm';
import { DataSourceOptions, createDataSource } from '@servicedesk/platform';
import { messagingMigration } from '@servicedesk/messaging';
import { UserConfig } from './config';
import { LoginFailureEntity } from './auth/login-failure.entity';
import { RefreshTokenEntity } from './auth/refresh-token.entity';
import { CreateUserTables1795400000000 } from './migrations/1795400000000-CreateUserTables';
import { AddUserErasure1795600000000 } from './migrations/1795600000000-AddUserErasure';
import { UserEntity } from './users/user.entity';

/** The PostgreSQL schema the user service owns. */
export const USER_SCHEMA = 'user';

export function createUserDataSource(
  config: UserConfig,
  options: Pick<DataSourceOptions, 'logger' | 'registry'> = {},
): DataSource {
  return createDataSource({
    url: config.DATABASE_URL,
    schema: USER_SCHEMA,
    entities: [UserEntity, RefreshTokenEntity, LoginFailureEntity],
    migrations: [
      messagingMigration(USER_SCHEMA),
      CreateUserTables1795400000000,
      AddUserErasure1795600000000,
    ],
    service: 'user',
    pool: config,
    logger: options.logger,
    registry: options.registry,
  });
}
