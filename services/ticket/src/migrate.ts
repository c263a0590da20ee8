import { createLogger, migrate } from '@servicedesk/platform';
import { TicketConfig, loadTicketConfig } from './config';
import { createTicketDataSource } from './data-source';
import { TICKET_SCHEMA } from './database/tables';

/** Brings the `ticket` schema up to date (outbox and inbox included). */
export async function migrateTicketDatabase(config: TicketConfig): Promise<void> {
  const logger = createLogger('ticket', config.LOG_LEVEL);
  const dataSource = createTicketDataSource(config, { logger });
  try {
    await migrate(dataSource, TICKET_SCHEMA);
    logger.info('ticket schema is up to date');
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}

if (require.main === module) {
  const config = loadTicketConfig();
  migrateTicketDatabase(config).catch((error: unknown) => {
    createLogger('ticket', config.LOG_LEVEL).fatal({ err: error }, 'ticket migration failed');
    process.exitCode = 1;
  });
}
