import { DataSource } from 'typeorm';
import { DataSourceOptions, createDataSource } from '@servicedesk/platform';
import { messagingMigration } from '@servicedesk/messaging';
import type { AppointmentConfig } from './config';
import { APPOINTMENT_SCHEMA } from './database/tables';
import { CreateAppointmentTables1796000000000 } from './migrations/1796000000000-CreateAppointmentTables';

/**
 * No TypeORM entities: every statement is hand-written SQL, because the rules live in
 * PostgreSQL features the ORM does not model (ranges, the exclusion constraint, SKIP LOCKED).
 */
export function createAppointmentDataSource(
  config: Pick<
    AppointmentConfig,
    'DATABASE_URL' | 'DATABASE_POOL_SIZE' | 'DATABASE_POOL_ACQUIRE_TIMEOUT_MS'
  >,
  options: Pick<DataSourceOptions, 'logger' | 'registry'> = {},
): DataSource {
  return createDataSource({
    url: config.DATABASE_URL,
    schema: APPOINTMENT_SCHEMA,
    entities: [],
    migrations: [messagingMigration(APPOINTMENT_SCHEMA), CreateAppointmentTables1796000000000],
    service: 'appointment',
    pool: config,
    ...options,
  });
}
