// The audit service's process: it starts whole (database and broker answering, port free) or
// exits 1 having stopped what it had started.
import './tracing';
import { brokerDependency } from '@servicedesk/messaging';
import { postgresDependency, runService } from '@servicedesk/platform';
import { createAuditApp } from './app';
import { loadAuditConfig } from './config';

runService({
  service: 'audit',
  loadConfig: loadAuditConfig,
  port: (config) => config.AUDIT_PORT,
  dependencies: (config) => [
    postgresDependency(config.DATABASE_URL),
    brokerDependency(config.RABBITMQ_URL),
  ],
  createApp: (config, logger) => createAuditApp(config, logger),
});
