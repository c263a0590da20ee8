import { createLogger, migrate } from '@servicedesk/platform';
import { UserConfig, loadUserConfig } from './config';
import { USER_SCHEMA, createUserDataSource } from './data-source';

/** Brings the `user` schema up to date; safe to run from several replicas at once. */
export async function migrateUserDatabase(config: UserConfig): Promise<void> {
  const dataSource = createUserDataSource(config, {
    logger: createLogger('user', config.LOG_LEVEL),
  });
  try {
    await migrate(dataSource, USER_SCHEMA);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}

if (require.main === module) {
  const logger = createLogger('user');
  Promise.resolve()
    .then(() => migrateUserDatabase(loadUserConfig()))
    .then(() => logger.info('user schema migrated'))
    .catch((error: unknown) => {
      logger.fatal({ err: error }, 'user schema migration failed');
      process.exitCode = 1;
    });
}
