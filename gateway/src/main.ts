// The gateway's process: it starts whole (port free, supergraph loaded) or exits 1 having
// stopped what it had started; a signal stops it gracefully.
import './tracing';
import { createLogger, startProcess, stopTracing } from '@servicedesk/platform/standalone';
import { loadGatewayConfig } from './config';
import { createGateway } from './gateway';
import { GATEWAY_SERVICE_NAME } from './subgraph-data-source';

startProcess(GATEWAY_SERVICE_NAME, async (start) => {
  const config = loadGatewayConfig();
  const logger = createLogger(GATEWAY_SERVICE_NAME, config.LOG_LEVEL);
  start.useLogger(logger);
  // Closes what it opened itself when it cannot listen.
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
});
