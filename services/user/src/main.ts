import './tracing';
import { bootstrapService, createLogger } from '@servicedesk/platform';
import { createUserApp } from './app';
import { SERVICE_NAME } from './app.module';
import { loadUserConfig } from './config';

async function main(): Promise<void> {
  const config = loadUserConfig();
  const logger = createLogger(SERVICE_NAME, config.LOG_LEVEL);
  const app = await createUserApp(config, { logger });
  await bootstrapService({
    service: SERVICE_NAME,
    app,
    port: config.USER_PORT,
    logger,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  });
}

main().catch((error: unknown) => {
  createLogger(SERVICE_NAME).fatal({ err: error }, 'user service failed to start');
  process.exitCode = 1;
});
