import { unwrapResolverError } from '@apollo/server/errors';
import { HttpException } from '@nestjs/common';
import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { EntityNotFoundError } from 'typeorm';
import { RequestContext, currentContext } from './context';
import { AppError, BadUserInputError, ErrorCode } from './errors';
import { withoutSuggestions } from './graphql-suggestions';
import { inputPathOf } from './input-contract';
import { Logger, createLogger } from './logger';

export const UNEXPECTED_ERROR_MESSAGE = 'Unexpected error';
export const DATABASE_UNAVAILABLE_MESSAGE = 'database is unavailable, try again shortly';

/** Network-level failures: the database (or another dependency) could not be reached. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

/** PostgreSQL SQLSTATEs meaning "the server is going away, not accepting us, or too slow" (class 08, 57P0x, 57014, 53300). */
function isUnavailableSqlState(code: string): boolean {
  // 57014: statement_timeout cancelled the query — the database is too slow to answer.
  return (
    /^08[0-9A-Z]{3}$/.test(code) || /^57P0[1-4]$/.test(code) || code === '57014' || code === '53300'
  );
}

const UNREACHABLE_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /connection (?:timed out|timeout)/i,
  /client has encountered a connection error/i,
  /cannot use a pool after calling end/i,
  // pg's client-side query_timeout: the server stopped answering on an open connection.
  /query read timeout/i,
];

/**
 * True when `error` (or what it wraps: TypeORM's `driverError`, `cause`, an AggregateError's
 * members) says the database could not be reached rather than that the query was wrong.
 */
export function isConnectionError(error: unknown, depth = 0): boolean {
  if (depth > 4 || typeof error !== 'object' || error === null) return false;
  const candidate = error as {
    code?: unknown;
    message?: unknown;
    driverError?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (
    typeof candidate.code === 'string' &&
    (UNREACHABLE_CODES.has(candidate.code) || isUnavailableSqlState(candidate.code))
  ) {
    return true;
  }
  if (
    typeof candidate.message === 'string' &&
    UNREACHABLE_MESSAGES.some((pattern) => pattern.test(candidate.message as string))
  ) {
    return true;
  }
  const nested = [
    candidate.driverError,
    candidate.cause,
    ...(Array.isArray(candidate.errors) ? candidate.errors : []),
  ];
  return nested.some((inner) => isConnectionError(inner, depth + 1));
}

/** Nest's HTTP exceptions (thrown by guards and pipes) expressed in our codes. */
const HTTP_STATUS_CODES: Record<number, ErrorCode> = {
  400: 'BAD_USER_INPUT',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  422: 'BAD_USER_INPUT',
  503: 'SERVICE_UNAVAILABLE',
};

let unexpectedErrorLogger: Logger | undefined;
/** The logger of the app serving each request: several apps may share a process (tests). */
const requestLoggers = new WeakMap<RequestContext, Logger>();

/** Where unexpected errors are logged outside any request (set by PlatformModule). */
export function setUnexpectedErrorLogger(logger: Logger): void {
  unexpectedErrorLogger = logger;
}

/** Makes errors formatted within `context` go to the logger of the app serving it. */
export function bindRequestLogger(context: RequestContext, logger: Logger): RequestContext {
  requestLoggers.set(context, logger);
  return context;
}

/** The logger of the app serving the current request, else the process-wide one. */
export function loggerInScope(): Logger {
  const context = currentContext();
  const bound = context && requestLoggers.get(context);
  if (bound) return bound;
  unexpectedErrorLogger ??= createLogger('platform');
  return unexpectedErrorLogger;
}

function withCode(
  formatted: GraphQLFormattedError,
  message: string,
  code: string,
  details: Record<string, unknown> = {},
): GraphQLFormattedError {
  return {
    message,
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { ...details, code },
  };
}

/**
 * The AppError behind `error`: thrown by a resolver, or raised by a scalar or the input
 * contract while GraphQL read a value (graphql-js and Apollo wrap it once or twice).
 */
function appErrorIn(error: unknown): AppError | undefined {
  let current = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    if (current instanceof AppError) return current;
    current = current instanceof GraphQLError ? current.originalError : undefined;
  }
  return undefined;
}

/** A bad value for a scalar names the argument it was given for, which only the document knows. */
function located(original: unknown, error: AppError): AppError {
  if (!(error instanceof BadUserInputError) || !(original instanceof GraphQLError)) return error;
  const field = inputPathOf(original);
  if (!field || field === error.field) return error;
  return new BadUserInputError(field, `${field}: ${error.message}`);
}

export interface GraphQLErrorFormatterOptions {
  /** Production: drop graphql-js's "Did you mean …?" hints, which name parts of the schema. */
  hideSuggestions?: boolean;
}

/**
 * Builds an Apollo `formatError`: the one place where errors become client-visible codes.
 * Typed errors keep their message and code; anything unexpected is logged in full and
 * replaced by "Unexpected error", so stack traces and internals never reach a client.
 */
export function createGraphQLErrorFormatter(
  logger?: Logger,
  options: GraphQLErrorFormatterOptions = {},
) {
  if (!options.hideSuggestions) return createCodeFormatter(logger);
  const formatWithCode = createCodeFormatter(logger);
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const result = formatWithCode(formatted, error);
    return { ...result, message: withoutSuggestions(result.message) };
  };
}

function createCodeFormatter(logger?: Logger) {
  return function formatGraphQLError(
    formatted: GraphQLFormattedError,
    error: unknown,
  ): GraphQLFormattedError {
    const original = unwrapResolverError(error);
    const appError = appErrorIn(original);
    if (appError) {
      const { message, code, details } = located(original, appError);
      return withCode(formatted, message, code, details);
    }
    if (original instanceof GraphQLError) {
      // Raised by GraphQL itself (parse, validation, variable coercion) or deliberately by
      // a resolver: the message is meant for the client; only internals are dropped.
      const code =
        original.extensions?.code ?? formatted.extensions?.code ?? 'INTERNAL_SERVER_ERROR';
      return withCode(formatted, original.message, String(code));
    }
    if (isConnectionError(original)) {
      (logger ?? loggerInScope()).warn(
        { err: original, path: formatted.path },
        'database unreachable while resolving',
      );
      return withCode(formatted, DATABASE_UNAVAILABLE_MESSAGE, 'SERVICE_UNAVAILABLE');
    }
    if (original instanceof EntityNotFoundError) {
      return withCode(formatted, 'The requested entity was not found', 'NOT_FOUND');
    }
    if (original instanceof HttpException && HTTP_STATUS_CODES[original.getStatus()]) {
      return withCode(formatted, original.message, HTTP_STATUS_CODES[original.getStatus()]);
    }
    (logger ?? loggerInScope()).error(
      { err: original, path: formatted.path },
      'unexpected error while resolving',
    );
    return withCode(formatted, UNEXPECTED_ERROR_MESSAGE, 'INTERNAL_SERVER_ERROR');
  };
}

/** Apollo `formatError` mapping AppError → extensions.code; see `createGraphQLErrorFormatter`. */
export const formatGraphQLError = createGraphQLErrorFormatter();
