import { migrateSchema, runMigrationCommand } from '@servicedesk/platform';
import { TicketConfig, loadTicketConfig } from './config';
import { createTicketDataSource } from './data-source';
import { TICKET_SCHEMA } from './database/tables';

/** Brings the `ticket` schema up to date (outbox and inbox included). */
export function migrateTicketDatabase(config: TicketConfig): Promise<void> {
  return migrateSchema({
    service: 'ticket',
    schema: TICKET_SCHEMA,
    logLevel: config.LOG_LEVEL,
    dataSource: (deps) => createTicketDataSource(config, deps),
  });
}

if (require.main === module) {
  runMigrationCommand('ticket', () => migrateTicketDatabase(loadTicketConfig()));
}
