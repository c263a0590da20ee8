import './tracing';
import { bootstrapService, createLogger } from '@servicedesk/platform';
import { createTicketApp } from './app';
import { loadTicketConfig } from './config';

async function main(): Promise<void> {
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
