import { migrateSchema, runMigrationCommand } from '@servicedesk/platform';
import { AppointmentConfig, loadAppointmentConfig } from './config';
import { createAppointmentDataSource } from './data-source';
import { APPOINTMENT_SCHEMA } from './database/tables';

/** Brings the `appointment` schema up to date (outbox and inbox included). */
export function migrateAppointmentDatabase(config: AppointmentConfig): Promise<void> {
  return migrateSchema({
    service: 'appointment',
    schema: APPOINTMENT_SCHEMA,
    logLevel: config.LOG_LEVEL,
    dataSource: (deps) => createAppointmentDataSource(config, deps),
  });
}

if (require.main === module) {
  runMigrationCommand('appointment', () => migrateAppointmentDatabase(loadAppointmentConfig()));
}
