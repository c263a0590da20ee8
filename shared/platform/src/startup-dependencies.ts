import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { reasonOf } from './error-reason';
import type { Logger } from './logger';

/**
 * What a process needs to answer before it starts (PostgreSQL, RabbitMQ), waited for with a
 * bound: a dependency still starting up is retried, one that never answers ends the start,
 * and one that refuses this process for good (wrong password, no such database) ends it at once.
 */

export interface StartupDependency {
  /** Names it in log lines and in the fatal line, e.g. `PostgreSQL at 127.0.0.1:5432/servicedesk`. */
  name: string;
  /** Resolves once it accepts this process; rejects with why not, within `timeoutMs`. */
  probe(timeoutMs: number): Promise<void>;
  /**
   * Given a failed probe's error: when waiting cannot cure it, what is wrong and what to fix
   * (the start then fails at once); undefined for an error worth retrying.
   */
  refusal?(error: unknown): string | undefined;
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

export { reasonOf };

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

/** A dependency no longer waited for: another one refused, so the start fails anyway. */
class Abandoned extends Error {}

/** `work`, or `Abandoned` as soon as `signal` aborts (`work` then settles unobserved). */
function unlessAbandoned(work: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new Abandoned());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

async function waitForOne(
  dependency: StartupDependency,
  timeoutMs: number,
  deadline: number,
  logger: Logger,
  refused: AbortController,
): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    if (refused.signal.aborted) throw new Abandoned();
    try {
      const timeout = clamp(deadline - Date.now(), MIN_PROBE_TIMEOUT_MS, MAX_PROBE_TIMEOUT_MS);
      await unlessAbandoned(dependency.probe(timeout), refused.signal);
      if (attempt > 1)
        logger.info({ dependency: dependency.name, attempt }, `${dependency.name} answers`);
      return;
    } catch (error) {
      if (error instanceof Abandoned) throw error;
      const refusal = dependency.refusal?.(error);
      if (refusal !== undefined) {
        refused.abort();
        throw new StartupError(`${dependency.name} refused this process: ${refusal} (not retried)`);
      }
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
      // Cut short by a refusal elsewhere; the next turn gives up.
      await sleep(delay, undefined, { signal: refused.signal }).catch(() => undefined);
    }
  }
}

/**
 * Waits until every dependency answers, retrying each with capped backoff, and fails with a
 * `StartupError` naming each one that did not answer within `timeoutMs` — or, as soon as one
 * refuses this process for good, naming that one and what to fix.
 */
export async function waitForDependencies(
  dependencies: readonly StartupDependency[],
  options: { timeoutMs: number; logger: Logger },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const refused = new AbortController();
  const outcomes = await Promise.allSettled(
    dependencies.map((dependency) =>
      waitForOne(dependency, options.timeoutMs, deadline, options.logger, refused),
    ),
  );
  const failures = outcomes.flatMap((outcome) =>
    outcome.status === 'rejected' && !(outcome.reason instanceof Abandoned)
      ? [reasonOf(outcome.reason)]
      : [],
  );
  if (failures.length > 0) throw new StartupError(failures.join('; '));
}

/** PostgreSQL's refusals that stay refusals, by SQLSTATE, with what to fix. */
const POSTGRES_REFUSALS: Readonly<Record<string, string>> = {
  // invalid_password: password authentication failed
  '28P01': 'correct the user or password in DATABASE_URL',
  // invalid_authorization_specification: no such role, or pg_hba.conf rejects it
  '28000': "correct the user in DATABASE_URL, or let the server's pg_hba.conf accept it",
  // invalid_catalog_name: the database does not exist
  '3D000': 'create the database (`npm run migrate` does) or correct its name in DATABASE_URL',
};

/** What to fix when PostgreSQL refused a connection in a way waiting cannot cure; undefined otherwise. */
export function postgresRefusal(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  const fix = typeof code === 'string' ? POSTGRES_REFUSALS[code] : undefined;
  return fix === undefined ? undefined : `${reasonOf(error)}; ${fix}`;
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
    refusal: postgresRefusal,
  };
}
