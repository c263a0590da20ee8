import { DataSource } from 'typeorm';
import { DataSourceOptions, createDataSource } from '@servicedesk/platform';
import { messagingMigration } from '@servicedesk/messaging';
import type { NotificationConfig } from './config';
import { NOTIFICATION_SCHEMA } from './database/tables';
import { CreateNotificationTables1796000000000 } from './migrations/1796000000000-CreateNotificationTables';
import { AddEmailSendingLease1796400000000 } from './migrations/1796400000000-AddEmailSendingLease';

/** Its pool is sized by DATABASE_POOL_SIZE, checked against CONSUMER_PREFETCH in `config.ts`. */
export function createNotificationDataSource(
  config: Pick<
    NotificationConfig,
    'DATABASE_URL' | 'DATABASE_POOL_SIZE' | 'DATABASE_POOL_ACQUIRE_TIMEOUT_MS'
  >,
  options: Pick<DataSourceOptions, 'logger' | 'registry'> = {},
): DataSource {
  return createDataSource({
    url: config.DATABASE_URL,
    schema: NOTIFICATION_SCHEMA,
    // Every statement is hand-written SQL on the tables of `database/tables.ts`.
    entities: [],
    migrations: [
      messagingMigration(NOTIFICATION_SCHEMA),
      CreateNotificationTables1796000000000,
      AddEmailSendingLease1796400000000,
    ],
    service: 'notification',
    pool: config,
    ...options,
  });
}
