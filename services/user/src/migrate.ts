import { migrateSchema, runMigrationCommand } from '@servicedesk/platform';
import { UserConfig, loadUserConfig } from './config';
import { USER_SCHEMA, createUserDataSource } from './data-source';

/** Brings the `user` schema up to date; safe to run from several replicas at once. */
export function migrateUserDatabase(config: UserConfig): Promise<void> {
  return migrateSchema({
    service: 'user',
    schema: USER_SCHEMA,
    logLevel: config.LOG_LEVEL,
    dataSource: (deps) => createUserDataSource(config, deps),
  });
}

if (require.main === module) {
  runMigrationCommand('user', () => migrateUserDatabase(loadUserConfig()));
}
