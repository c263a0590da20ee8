// The ticket service's process: it starts whole (database and broker answering, port free) or
// exits 1 having stopped what it had started.
import './tracing';
import { brokerDependency } from '@servicedesk/messaging';
import { postgresDependency, runService } from '@servicedesk/platform';
import { createTicketApp } from './app';
import { loadTicketConfig } from './config';

runService({
  service: 'ticket',
  loadConfig: loadTicketConfig,
  port: (config) => config.TICKET_PORT,
  dependencies: (config) => [
    postgresDependency(config.DATABASE_URL),
    brokerDependency(config.RABBITMQ_URL),
  ],
  createApp: (config, logger) => createTicketApp(config, logger),
});
