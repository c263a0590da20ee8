import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { BaseConfig } from './config';
import { HealthRegistry } from './health.registry';
import { Logger, createLogger } from './logger';
import { NestPinoLogger } from './nest-logger';
import type { PlatformOptions } from './platform.module';
import { startProcess } from './process-start';
import { StartupDependency, waitForDependencies } from './startup-dependencies';
import { PLATFORM_OPTIONS } from './tokens';
import { stopTracing } from './tracing';

const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10000;

/**
 * Creates (does not start) a Nest app whose own log lines go to `logger`. Start-up errors
 * are thrown to the caller instead of aborting the process, so main.ts can log them.
 * Bodies are read as JSON up to `MAX_BODY_BYTES`, the limit the gateway applies too, so the
 * two agree on what a client may send.
 */
export async function createServiceApp(
  module: Type | DynamicModule,
  logger: Logger,
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(module, {
    logger: new NestPinoLogger(logger),
    abortOnError: false,
    bodyParser: false,
  });
  const { config } = app.get<PlatformOptions>(PLATFORM_OPTIONS, { strict: false });
  app.useBodyParser('json', { limit: config.MAX_BODY_BYTES });
  return app;
}

export interface GracefulShutdownOptions {
  logger: Logger;
  /** How long in-flight requests may take to finish before their connections are cut. */
  timeoutMs?: number;
  signals?: NodeJS.Signals[];
}

function healthOf(app: INestApplication): HealthRegistry | undefined {
  try {
    return app.get(HealthRegistry, { strict: false });
  } catch {
    return undefined;
  }
}

/** Responses being written, so shutdown can tell their keep-alive connections to close. */
function trackResponses(server: Server): Set<ServerResponse> {
  const active = new Set<ServerResponse>();
  server.on('request', (_request: IncomingMessage, response: ServerResponse) => {
    active.add(response);
    response.once('close', () => active.delete(response));
  });
  return active;
}

/** Stops accepting connections and resolves once in-flight requests are done or `timeoutMs` passed. */
async function closeHttpServer(
  server: Server,
  active: Set<ServerResponse>,
  timeoutMs: number,
  logger: Logger,
): Promise<void> {
  if (!server.listening) return;
  let timer: NodeJS.Timeout | undefined;
  const closed = new Promise<'closed'>((resolve) => server.close(() => resolve('closed')));
  // A keep-alive connection would otherwise hold the server open (and could carry new
  // requests) until its idle timeout: each response ends its connection instead.
  const closeAfter = (response: ServerResponse) => {
    if (!response.headersSent) response.setHeader('connection', 'close');
    response.once('finish', () => setImmediate(() => server.closeIdleConnections()));
  };
  active.forEach(closeAfter);
  server.on('request', (_request: IncomingMessage, response: ServerResponse) =>
    closeAfter(response),
  );
  server.closeIdleConnections();
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const outcome = await Promise.race([closed, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    logger.warn(
      { timeoutMs },
      'shutdown: in-flight requests did not finish in time, closing their connections',
    );
    server.closeAllConnections();
    await closed;
  }
}

/**
 * Shutdown in the order that loses nothing: report not-ready, stop accepting requests and let
 * in-flight ones finish (bounded by `timeoutMs`), then run Nest's shutdown hooks (consumers
 * drain and the relay stops in onModuleDestroy/beforeApplicationShutdown; the DataSource is
 * destroyed in onApplicationShutdown, last), then flush traces.
 *
 * Nest's `enableShutdownHooks()` is deliberately not used: it would call `app.close()` at the
 * signal, running the hooks (closing the database) while requests are still in flight.
 * Install it before the server takes requests. Returns the shutdown function, which tests
 * may call directly.
 */
export function installGracefulShutdown(
  app: INestApplication,
  options: GracefulShutdownOptions,
): (signal?: string) => Promise<void> {
  const {
    logger,
    timeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_MS,
    signals = ['SIGTERM', 'SIGINT'],
  } = options;
  let shutdown: Promise<void> | undefined;
  const server = app.getHttpServer() as Server;
  const active = trackResponses(server);

  const run = async (signal: string): Promise<void> => {
    logger.info({ signal, timeoutMs }, 'shutdown: started, no longer ready');
    healthOf(app)?.markShuttingDown();
    try {
      await closeHttpServer(server, active, timeoutMs, logger);
      logger.info('shutdown: http server closed');
      await app.close();
      logger.info('shutdown: application hooks done');
      await stopTracing();
      logger.info('shutdown: complete');
    } catch (error) {
      logger.error({ err: error }, 'shutdown: failed');
      process.exitCode = 1;
    } finally {
      signals.forEach((name) => process.off(name, onSignal));
    }
  };

  function onSignal(signal: NodeJS.Signals): void {
    if (shutdown) {
      logger.warn({ signal }, 'shutdown: second signal, exiting now');
      process.exit(1);
    }
    shutdown = run(signal).then(() => {
      // Anything still holding the event loop (a stray socket or timer) must not keep a
      // stopped service alive; unref'd, so a clean exit does not wait for it.
      setTimeout(() => process.exit(), 1000).unref();
    });
  }

  signals.forEach((name) => process.on(name, onSignal));
  return (signal = 'manual') => {
    shutdown ??= run(signal);
    return shutdown;
  };
}

export interface ServiceProcess<C extends BaseConfig> {
  service: string;
  loadConfig(): C;
  /** The port the service listens on (its `<SERVICE>_PORT`). */
  port(config: C): number;
  /** What must answer before the app is created, each retried up to `STARTUP_TIMEOUT_MS`. */
  dependencies(config: C): StartupDependency[];
  /** The app, created but not listening. */
  createApp(config: C, logger: Logger): Promise<INestApplication>;
}

/**
 * A subgraph's `main`: loads its configuration, waits for its dependencies, creates the app,
 * installs graceful shutdown and listens. A start that fails at any step (a dependency not
 * answering in time, the port taken) stops what it started and exits 1 (see `startProcess`).
 */
export function runService<C extends BaseConfig>(options: ServiceProcess<C>): void {
  const { service } = options;
  startProcess(service, async (start) => {
    const config = options.loadConfig();
    const logger = createLogger(service, config.LOG_LEVEL);
    start.useLogger(logger);
    await waitForDependencies(options.dependencies(config), {
      timeoutMs: config.STARTUP_TIMEOUT_MS,
      logger,
    });
    const app = await options.createApp(config, logger);
    const shutdown = installGracefulShutdown(app, {
      logger,
      timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    });
    start.onFailure(() => shutdown('start-up failure'));
    await app.listen(options.port(config));
    const address = (app.getHttpServer() as Server).address();
    const port = typeof address === 'object' && address ? address.port : options.port(config);
    logger.info({ port, url: `http://localhost:${port}/graphql` }, `${service} listening`);
  });
}
