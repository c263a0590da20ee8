/** The error codes of the public GraphQL contract. */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'SERVICE_UNAVAILABLE';

/** An error a client may see: its message is meant for people, its code for programs. */
export abstract class AppError extends Error {
  abstract readonly code: ErrorCode;
  /** Extra, safe-to-show fields added to `extensions`. */
  readonly details: Record<string, unknown> = {};

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadUserInputError extends AppError {
  readonly code = 'BAD_USER_INPUT';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.details.field = field;
  }
}

export class NotFoundError extends AppError {
  readonly code = 'NOT_FOUND';
  constructor(entity: string, id: string) {
    super(`${entity} ${id} was not found`);
  }
}

export class ConflictError extends AppError {
  readonly code = 'CONFLICT';
}

export class ForbiddenError extends AppError {
  readonly code = 'FORBIDDEN';
}

export class UnauthenticatedError extends AppError {
  readonly code = 'UNAUTHENTICATED';
}

export class ServiceUnavailableError extends AppError {
  readonly code = 'SERVICE_UNAVAILABLE';
  constructor(
    readonly dependency: string,
    message = `${dependency} is unavailable, try again shortly`,
  ) {
    super(message);
  }
}
