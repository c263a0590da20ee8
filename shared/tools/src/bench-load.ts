/**
 * A closed-loop load generator: `clients` callers each run `operation` back to back until the
 * time is up or `maxOperations` have been started in all, timing every call. Errors are
 * counted, not thrown, so one failing call does not end a phase; an abort of `signal` does.
 * Refusals the system is meant to give under contention (see `isRejection`) are counted apart.
 */
export interface LoadOptions {
  clients: number;
  durationMs: number;
  maxOperations: number;
  signal: AbortSignal;
  /** One call as client number `client` (0-based), e.g. a GraphQL request with its token. */
  operation(client: number): Promise<void>;
  /** Whether a failure is a legitimate refusal (e.g. CONFLICT) rather than an error. */
  isRejection?(error: unknown): boolean;
}

export interface LoadResult {
  /** Duration of every successful call, in milliseconds. */
  latenciesMs: number[];
  errors: number;
  /** Failures `isRejection` recognised; neither timed nor counted as errors. */
  rejections: number;
  /** The first failure's message, so a run that only fails says why. */
  firstError: string | null;
  /** From the first call's start until the last call returned. */
  elapsedMs: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { clients, durationMs, maxOperations, signal, operation, isRejection } = options;
  const latenciesMs: number[] = [];
  let started = 0;
  let errors = 0;
  let rejections = 0;
  let firstError: string | null = null;
  const begin = performance.now();
  const end = begin + durationMs;

  const client = async (index: number): Promise<void> => {
    while (started < maxOperations && performance.now() < end) {
      signal.throwIfAborted();
      started += 1;
      const callStart = performance.now();
      try {
        await operation(index);
        latenciesMs.push(performance.now() - callStart);
      } catch (error) {
        signal.throwIfAborted();
        if (isRejection?.(error)) {
          rejections += 1;
          continue;
        }
        errors += 1;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };

  await Promise.all(Array.from({ length: clients }, (_, index) => client(index)));
  return { latenciesMs, errors, rejections, firstError, elapsedMs: performance.now() - begin };
}
