import { createLogger, migrate } from '@servicedesk/platform';
import { AuditConfig, loadAuditConfig } from './config';
import { AUDIT_SCHEMA, createAuditDataSource } from './data-source';

/** Brings the `audit` schema up to date (safe to run from several replicas at once). */
export async function migrateAuditDatabase(config: AuditConfig): Promise<void> {
  const logger = createLogger('audit', config.LOG_LEVEL);
  const dataSource = createAuditDataSource(config, { logger });
  try {
    await migrate(dataSource, AUDIT_SCHEMA);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}

if (require.main === module) {
  const config = loadAuditConfig();
  migrateAuditDatabase(config).catch((error: unknown) => {
    createLogger('audit', config.LOG_LEVEL).fatal(
      { err: error },
      'audit database migration failed',
    );
    process.exitCode = 1;
  });
}
