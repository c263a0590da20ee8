import { INestApplication } from '@nestjs/common';
import { Clock, Logger, createLogger, createServiceApp, systemClock } from '@servicedesk/platform';
import { AppModule, SERVICE_NAME } from './app.module';
import type { AppointmentConfig } from './config';

export interface AppointmentAppOptions {
  logger?: Logger;
  /** Tests move time forward through it (notice, booking window, reminders). */
  clock?: Clock;
}

/** The appointment subgraph, created but not listening (and not migrating: see `migrate.ts`). */
export async function createAppointmentApp(
  config: AppointmentConfig,
  options: AppointmentAppOptions = {},
): Promise<INestApplication> {
  const logger = options.logger ?? createLogger(SERVICE_NAME, config.LOG_LEVEL);
  return createServiceApp(
    AppModule.forRoot(config, { logger, clock: options.clock ?? systemClock }),
    logger,
  );
}
