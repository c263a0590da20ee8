import { ContractViolationError } from '@servicedesk/contracts';

/** A failure that will happen again however often it is retried: the message is parked at once. */
export class PermanentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/** A failure worth retrying later (a dependency is down, a lock timed out...). */
export class TransientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
  }
}

export type FailureKind = 'permanent' | 'transient';

/**
 * How a consumer treats a handler failure. Only failures known to be permanent skip the
 * retries: an unknown error is assumed transient, because parking a message that would
 * have succeeded a second later costs an operator, while one retry too many costs nothing.
 */
export function classifyFailure(error: unknown): FailureKind {
  if (error instanceof PermanentError || error instanceof ContractViolationError)
    return 'permanent';
  return 'transient';
}

/** A readable one-line description of anything thrown, for headers and log lines. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
