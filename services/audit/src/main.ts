import './tracing';
import { bootstrapService, createLogger } from '@servicedesk/platform';
import { createAuditApp } from './app';
import { loadAuditConfig } from './config';

async function main(): Promise<void> {
  const config = loadAuditConfig();
  const logger = createLogger('audit', config.LOG_LEVEL);
  const app = await createAuditApp(config, logger);
  await bootstrapService({
    service: 'audit',
    app,
    port: config.AUDIT_PORT,
    logger,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  });
}

main().catch((error: unknown) => {
  createLogger('audit').fatal({ err: error }, 'audit service failed to start');
  process.exitCode = 1;
});
