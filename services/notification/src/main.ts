import './tracing';
import { bootstrapService, createLogger } from '@servicedesk/platform';
import { createNotificationApp } from './app';
import { loadNotificationConfig } from './config';

async function main(): Promise<void> {
  const config = loadNotificationConfig();
  const logger = createLogger('notification', config.LOG_LEVEL);
  const app = await createNotificationApp(config, { logger });
  await bootstrapService({
    service: 'notification',
    app,
    port: config.NOTIFICATION_PORT,
    logger,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  });
}

main().catch((error: unknown) => {
  createLogger('notification').fatal({ err: error }, 'notification service could not start');
  process.exitCode = 1;
});
