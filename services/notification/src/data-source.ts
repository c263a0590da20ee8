import { DataSource } from 'typeorm';
import { DataSourceOptions, createDataSource } from '@servicedesk/platform';
import { messagingMigration } from '@servicedesk/messaging';
import type { NotificationConfig } from './config';
import { NOTIFICATION_SCHEMA } from './database/tables';
import { CreateNotificationTables1796000000000 } from './migrations/1796000000000-CreateNotificationTables';

/** Connections left for requests, the relay and the release loop besides the consumers' own. */
const BASE_POOL_SIZE = 10;

/**
 * A delivery holds its inbox transaction's connection while it opens separate ones (rows
 * committed, each email's outcome committed), one at a time. With `CONSUMER_PREFETCH`
 * messages in flight that is up to two connections each: the pool must hold them all, or
 * every handler would wait on a connection only another waiting handler can free.
 */
export function notificationPoolSize(
  config: Pick<NotificationConfig, 'CONSUMER_PREFETCH'>,
): number {
  return BASE_POOL_SIZE + 2 * config.CONSUMER_PREFETCH;
}

export function createNotificationDataSource(
  config: Pick<NotificationConfig, 'DATABASE_URL' | 'CONSUMER_PREFETCH'>,
  options: Pick<DataSourceOptions, 'logger' | 'registry'> = {},
): DataSource {
  return createDataSource({
    url: config.DATABASE_URL,
    schema: NOTIFICATION_SCHEMA,
    // Every statement is hand-written SQL on the tables of `database/tables.ts`.
    entities: [],
    migrations: [messagingMigration(NOTIFICATION_SCHEMA), CreateNotificationTables1796000000000],
    poolSize: notificationPoolSize(config),
    ...options,
  });
}
