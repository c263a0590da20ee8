// The user service's process: it starts whole (database and broker answering, port free) or
// exits 1 having stopped what it had started.
import './tracing';
import { brokerDependency } from '@servicedesk/messaging';
import { postgresDependency, runService } from '@servicedesk/platform';
import { createUserApp } from './app';
import { SERVICE_NAME } from './app.module';
import { loadUserConfig } from './config';

runService({
  service: SERVICE_NAME,
  loadConfig: loadUserConfig,
  port: (config) => config.USER_PORT,
  dependencies: (config) => [
    postgresDependency(config.DATABASE_URL),
    brokerDependency(config.RABBITMQ_URL),
  ],
  createApp: (config, logger) => createUserApp(config, { logger }),
});
