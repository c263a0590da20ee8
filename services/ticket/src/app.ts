import { INestApplication } from '@nestjs/common';
import { Logger, createLogger, createServiceApp } from '@servicedesk/platform';
import { AppModule } from './app.module';
import type { TicketConfig } from './config';

/** The ticket subgraph, created but not listening (and not migrating: see `migrate.ts`). */
export async function createTicketApp(
  config: TicketConfig,
  logger: Logger = createLogger('ticket', config.LOG_LEVEL),
): Promise<INestApplication> {
  return createServiceApp(AppModule.forRoot(config, logger), logger);
}
