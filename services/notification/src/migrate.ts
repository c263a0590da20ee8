import { migrateSchema, runMigrationCommand } from '@servicedesk/platform';
import { NotificationConfig, loadNotificationConfig } from './config';
import { createNotificationDataSource } from './data-source';
import { NOTIFICATION_SCHEMA } from './database/tables';

/** Brings the `notification` schema up to date (outbox and inbox included). */
export function migrateNotificationDatabase(config: NotificationConfig): Promise<void> {
  return migrateSchema({
    service: 'notification',
    schema: NOTIFICATION_SCHEMA,
    logLevel: config.LOG_LEVEL,
    dataSource: (deps) => createNotificationDataSource(config, deps),
  });
}

if (require.main === module) {
  runMigrationCommand('notification', () => migrateNotificationDatabase(loadNotificationConfig()));
}
