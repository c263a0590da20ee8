import { INestApplication } from '@nestjs/common';
import { Clock, Logger, createLogger, createServiceApp, systemClock } from '@servicedesk/platform';
import { AppModule, SERVICE_NAME } from './app.module';
import type { NotificationConfig } from './config';

export interface NotificationAppOptions {
  logger?: Logger;
  /** Tests move time forward through it (quiet hours, retry backoff). */
  clock?: Clock;
}

/** The notification subgraph, created but not listening (and not migrating: see `migrate.ts`). */
export async function createNotificationApp(
  config: NotificationConfig,
  options: NotificationAppOptions = {},
): Promise<INestApplication> {
  const logger = options.logger ?? createLogger(SERVICE_NAME, config.LOG_LEVEL);
  return createServiceApp(
    AppModule.forRoot(config, { logger, clock: options.clock ?? systemClock }),
    logger,
  );
}
