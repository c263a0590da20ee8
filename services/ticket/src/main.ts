import { bootstrapService, createLogger, startTracing } from '@servicedesk/platform';

// Instrumentation patches modules as they load, so tracing starts before the app is imported.
startTracing('ticket');

async function main(): Promise<void> {
  const { loadTicketConfig } = await import('./config');
  const { createTicketApp } = await import('./app');
  const config = loadTicketConfig();
  const logger = createLogger('ticket', config.LOG_LEVEL);
  const app = await createTicketApp(config, logger);
  await bootstrapService({
    service: 'ticket',
    app,
    port: config.TICKET_PORT,
    logger,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  });
}

main().catch((error: unknown) => {
  createLogger('ticket').fatal({ err: error }, 'ticket service could not start');
  process.exitCode = 1;
});
