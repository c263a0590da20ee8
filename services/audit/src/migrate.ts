import { migrateSchema, runMigrationCommand } from '@servicedesk/platform';
import { AuditConfig, loadAuditConfig } from './config';
import { AUDIT_SCHEMA, createAuditDataSource } from './data-source';

/** Brings the `audit` schema up to date (safe to run from several replicas at once). */
export function migrateAuditDatabase(config: AuditConfig): Promise<void> {
  return migrateSchema({
    service: 'audit',
    schema: AUDIT_SCHEMA,
    logLevel: config.LOG_LEVEL,
    dataSource: (deps) => createAuditDataSource(config, deps),
  });
}

if (require.main === module) {
  runMigrationCommand('audit', () => migrateAuditDatabase(loadAuditConfig()));
}
