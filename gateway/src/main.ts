import './tracing';
import { createLogger, stopTracing } from '@servicedesk/platform';
import { loadGatewayConfig } from './config';
import { createGateway } from './gateway';
import { GATEWAY_SERVICE_NAME } from './subgraph-data-source';

async function main(): Promise<void> {
  const config = loadGatewayConfig();
  const logger = createLogger(GATEWAY_SERVICE_NAME, config.LOG_LEVEL);
  const gateway = await createGateway(config, { logger });
  logger.info({ url: gateway.url }, `GraphQL gateway ready at ${gateway.url}`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    gateway
      .close()
      .then(stopTracing)
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  createLogger(GATEWAY_SERVICE_NAME).fatal(
    { err: error },
    `gateway could not start: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
