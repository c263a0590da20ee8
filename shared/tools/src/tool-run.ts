/**
 * How a tool that creates things of its own (a database, a vhost, processes) runs: Ctrl-C or
 * SIGTERM aborts it, whatever fails first is the reported cause, and its cleanups run in
 * reverse order whatever happened. `npm run bench` and `npm run chaos` share it.
 */

export class Interrupted extends Error {}

export interface Cleanup {
  what: string;
  run(): Promise<void>;
}

/** Resolves or rejects with `work`, or rejects as soon as `signal` aborts. */
export function unlessAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export interface ToolRun {
  signal: AbortSignal;
  /** Aborts the run from a background failure (a process that stopped, say). */
  fail(error: Error): void;
  /** Pushed as resources are made; run last first. */
  cleanups: Cleanup[];
}

export type ToolRunOutcome<T> = { value: T; failure: null } | { value: undefined; failure: Error };

/** Runs `work` until it settles, is interrupted or fails, then cleans up after it. */
export async function runWithCleanup<T>(
  say: (line: string) => void,
  work: (run: ToolRun) => Promise<T>,
): Promise<ToolRunOutcome<T>> {
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    say(`${signal}: stopping and cleaning up (press Ctrl-C again to quit without cleaning up)`);
    stop.abort(new Interrupted(`interrupted by ${signal}`));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const cleanups: Cleanup[] = [];
  try {
    const value = await unlessAborted(
      work({ signal: stop.signal, fail: (error) => stop.abort(error), cleanups }),
      stop.signal,
    );
    return { value, failure: null };
  } catch (error) {
    // Once aborted, whatever failed next failed because of it: report the cause.
    const failure = stop.signal.aborted ? (stop.signal.reason as Error) : (error as Error);
    return { value: undefined, failure };
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup.run();
      } catch (error) {
        say(`could not ${cleanup.what}: ${(error as Error).message}`);
      }
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
