import { setTimeout as sleep } from 'node:timers/promises';
import { GraphQLCallError } from './bench-client';

/** How long setup waits for the services to catch up with each other. */
export const SETTLE_TIMEOUT_MS = 30_000;
export const POLL_INTERVAL_MS = 100;

/**
 * Retries `probe` until it returns true, for at most SETTLE_TIMEOUT_MS. A GraphQL error counts
 * as "not yet" (the services learn of each other through events); anything else is thrown.
 */
export async function pollUntil(
  description: string,
  probe: () => Promise<boolean>,
  signal: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let lastError = '';
  for (;;) {
    try {
      if (await probe()) return;
    } catch (error) {
      if (!(error instanceof GraphQLCallError)) throw error;
      lastError = ` (last error: ${error.message})`;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${SETTLE_TIMEOUT_MS / 1000} s waiting for ${description}${lastError}`,
      );
    }
    await sleep(POLL_INTERVAL_MS, undefined, { signal });
  }
}
