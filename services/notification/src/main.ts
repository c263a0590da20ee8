// The notification service's process: it starts whole (database and broker answering, port free) or
// exits 1 having stopped what it had started.
import './tracing';
import { brokerDependency } from '@servicedesk/messaging';
import { postgresDependency, runService } from '@servicedesk/platform';
import { createNotificationApp } from './app';
import { loadNotificationConfig } from './config';

runService({
  service: 'notification',
  loadConfig: loadNotificationConfig,
  port: (config) => config.NOTIFICATION_PORT,
  dependencies: (config) => [
    postgresDependency(config.DATABASE_URL),
    brokerDependency(config.RABBITMQ_URL),
  ],
  createApp: (config, logger) => createNotificationApp(config, { logger }),
});
