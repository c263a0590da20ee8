// The appointment service's process: it starts whole (database and broker answering, port free) or
// exits 1 having stopped what it had started.
import './tracing';
import { brokerDependency } from '@servicedesk/messaging';
import { postgresDependency, runService } from '@servicedesk/platform';
import { createAppointmentApp } from './app';
import { loadAppointmentConfig } from './config';

runService({
  service: 'appointment',
  loadConfig: loadAppointmentConfig,
  port: (config) => config.APPOINTMENT_PORT,
  dependencies: (config) => [
    postgresDependency(config.DATABASE_URL),
    brokerDependency(config.RABBITMQ_URL),
  ],
  createApp: (config, logger) => createAppointmentApp(config, { logger }),
});
