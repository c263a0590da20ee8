import { Client } from 'pg';
import type { Logger } from './logger';

/**
 * What a process needs to answer before it starts (PostgreSQL, RabbitMQ), waited for with a
 * bound: a dependency still starting up is retried, one that never answers ends the start.
 */

export interface StartupDependency {
  /** Names it in log lines and in the fatal line, e.g. `PostgreSQL at 127.0.0.1:5432/servicedesk`. */
  name: string;
  /** Resolves once it accepts this process; rejects with why not, within `timeoutMs`. */
  probe(timeoutMs: number): Promise<void>;
}

/** A start that cannot succeed; its message is the whole explanation, fit for the fatal line. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

const FIRST_RETRY_DELAY_MS = 250;
const MAX_RETRY_DELAY_MS = 2000;
/** Bounds one attempt; the last attempt may overrun the deadline by as much as the minimum. */
const MAX_PROBE_TIMEOUT_MS = 5000;
const MIN_PROBE_TIMEOUT_MS = 1000;

/** An error's own words; a failed connection to several addresses explains itself in its parts. */
export function reasonOf(error: unknown): string {
  if (error instanceof AggregateError && !error.message) {
    return error.errors.map(reasonOf).join('; ');
  }
  return error instanceof Error ? error.message : String(error);
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

async function waitForOne(
  dependency: StartupDependency,
  timeoutMs: number,
  deadline: number,
  logger: Logger,
): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await dependency.probe(
        clamp(deadline - Date.now(), MIN_PROBE_TIMEOUT_MS, MAX_PROBE_TIMEOUT_MS),
      );
      if (attempt > 1)
        logger.info({ dependency: dependency.name, attempt }, `${dependency.name} answers`);
      return;
    } catch (error) {
      const reason = reasonOf(error);
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new StartupError(
          `${dependency.name} is not reachable: ${reason} (retried for ${timeoutMs / 1000} s, STARTUP_TIMEOUT_MS)`,
        );
      }
      // Said once at warn: the rest of the wait is the same story.
      const level = attempt === 1 ? 'warn' : 'debug';
      logger[level](
        { dependency: dependency.name, attempt, reason, leftMs: left },
        `${dependency.name} is not reachable yet; retrying`,
      );
      const delay = Math.min(FIRST_RETRY_DELAY_MS * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS, left);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * Waits until every dependency answers, retrying each with capped backoff, and fails with a
 * `StartupError` naming each one that did not answer within `timeoutMs`.
 */
export async function waitForDependencies(
  dependencies: readonly StartupDependency[],
  options: { timeoutMs: number; logger: Logger },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const outcomes = await Promise.allSettled(
    dependencies.map((dependency) =>
      waitForOne(dependency, options.timeoutMs, deadline, options.logger),
    ),
  );
  const failures = outcomes.flatMap((outcome) =>
    outcome.status === 'rejected' ? [reasonOf(outcome.reason)] : [],
  );
  if (failures.length > 0) throw new StartupError(failures.join('; '));
}

/** PostgreSQL at `url`: answers once a connection opens (closed again at once). */
export function postgresDependency(url: string): StartupDependency {
  const target = new URL(url);
  return {
    name: `PostgreSQL at ${target.hostname}:${target.port || '5432'}${target.pathname}`,
    async probe(timeoutMs) {
      const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
      try {
        await client.connect();
      } finally {
        await client.end().catch(() => undefined);
      }
    },
  };
}
