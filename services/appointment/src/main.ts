import './tracing';
import { bootstrapService, createLogger } from '@servicedesk/platform';
import { createAppointmentApp } from './app';
import { loadAppointmentConfig } from './config';

async function main(): Promise<void> {
  const config = loadAppointmentConfig();
  const logger = createLogger('appointment', config.LOG_LEVEL);
  const app = await createAppointmentApp(config, { logger });
  await bootstrapService({
    service: 'appointment',
    app,
    port: config.APPOINTMENT_PORT,
    logger,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  });
}

main().catch((error: unknown) => {
  createLogger('appointment').fatal({ err: error }, 'appointment service could not start');
  process.exitCode = 1;
});
