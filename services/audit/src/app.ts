import { INestApplication } from '@nestjs/common';
import { Logger, createLogger, createServiceApp } from '@servicedesk/platform';
import { AppModule } from './app.module';
import { AuditConfig } from './config';

/** The audit service, not listening yet and not migrating (run `migrateAuditDatabase` first). */
export async function createAuditApp(
  config: AuditConfig,
  logger: Logger = createLogger('audit', config.LOG_LEVEL),
): Promise<INestApplication> {
  return createServiceApp(AppModule.forRoot(config, logger), logger);
}
