import { INestApplication } from '@nestjs/common';
import { Logger, createLogger, createServiceApp, Clock, systemClock } from '@servicedesk/platform';
import { AppModule, SERVICE_NAME } from './app.module';
import { UserConfig } from './config';

export interface UserAppOptions {
  logger?: Logger;
  /** Tests move time forward through it (lockout windows, token expiry). */
  clock?: Clock;
}

/** Builds the user service (not listening, not migrated); `listen` or `init` starts it. */
export async function createUserApp(
  config: UserConfig,
  options: UserAppOptions = {},
): Promise<INestApplication> {
  const logger = options.logger ?? createLogger(SERVICE_NAME, config.LOG_LEVEL);
  return createServiceApp(
    AppModule.forRoot(config, { logger, clock: options.clock ?? systemClock }),
    logger,
  );
}
