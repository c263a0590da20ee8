import { Logger, createLogger } from './logger';
import { reasonOf } from './error-reason';
import { stopTracing } from './tracing';

/**
 * A process starts whole or not at all: a failed start logs one fatal line naming what
 * failed, stops whatever it had started (consumers, relay, loops, pool, tracing) and exits 1.
 */

export interface ProcessStart {
  /** Logs the rest of the start, and its failure, with the process's configured logger. */
  useLogger(logger: Logger): void;
  /** How to stop something started so far; on a failed start these run newest first. */
  onFailure(stop: () => Promise<void>): void;
}

/** Past this, a failed start exits even if stopping what it started has not finished. */
const STOP_AFTER_FAILURE_TIMEOUT_MS = 10_000;

/** What went wrong, in the words an operator acts on. */
export function describeStartFailure(error: unknown): string {
  const { code, port } = (error ?? {}) as { code?: unknown; port?: unknown };
  if (code === 'EADDRINUSE' && port !== undefined) return `port ${port} is already in use`;
  return reasonOf(error);
}

async function stopAll(stops: Array<() => Promise<void>>, logger: Logger): Promise<void> {
  for (const stop of stops.reverse()) {
    await stop().catch((error: unknown) =>
      logger.error({ err: error }, 'start-up failure: stopping what had started failed'),
    );
  }
  await stopTracing();
}

/**
 * Runs `start`, the whole start of the process named `service`. If it throws, the process
 * does not linger half-alive: the failure is logged, what was started is stopped (bounded by
 * STOP_AFTER_FAILURE_TIMEOUT_MS) and the process exits with code 1 — whatever timers or
 * sockets a half-built app still holds.
 */
export function startProcess(
  service: string,
  start: (process: ProcessStart) => Promise<void>,
): void {
  let logger = createLogger(service);
  const stops: Array<() => Promise<void>> = [];
  const failed = async (error: unknown) => {
    logger.fatal({ err: error }, `${service} could not start: ${describeStartFailure(error)}`);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), STOP_AFTER_FAILURE_TIMEOUT_MS);
    });
    const outcome = await Promise.race([stopAll(stops, logger), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      logger.warn(
        { timeoutMs: STOP_AFTER_FAILURE_TIMEOUT_MS },
        'start-up failure: what had started did not stop in time; exiting anyway',
      );
    }
    process.exit(1);
  };
  Promise.resolve()
    .then(() =>
      start({
        useLogger: (configured) => (logger = configured),
        onFailure: (stop) => stops.push(stop),
      }),
    )
    .catch(failed);
}
